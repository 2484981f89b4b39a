import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand. `visitors_facts_changed` (migration SegmentFacts, planned without nested loops
 * by SegmentFactsHashJoin) projected each written visitor's strong interests into bits with
 * `interest_bits()`, whose non-empty case is a SQL function over `interests` that PostgreSQL
 * cannot inline (it reads a table): one function call — an executor started and stopped — per
 * row, 21 µs of the 46 µs each visitor's `segment_facts` upsert cost in the ingest benchmark.
 * The same lookup written as a subquery of the statement is executed as part of its plan.
 * Only the function changes; the triggers call it as before.
 */
const upsert = (rows: string, bits: (interests: string) => string) => `
      INSERT INTO segment_facts AS f (visitor_id, destination_id, created_at, erased, interest_bits,
                                      booked_until, departed_until, country_code, locale, tags,
                                      granted_consents, booked_stays, stay_departures)
      SELECT n.id, n.destination_id, n.created_at, n.erased_at IS NOT NULL,
             ${bits('n.strong_interests')}, upper(n.booked_stays), upper(n.stay_departures),
             n.country_code, n.locale, n.tags, n.granted_consents, n.booked_stays, n.stay_departures
        FROM ${rows}
      ON CONFLICT (visitor_id) DO UPDATE SET
        destination_id = excluded.destination_id, created_at = excluded.created_at,
        erased = excluded.erased, interest_bits = excluded.interest_bits,
        booked_until = excluded.booked_until, departed_until = excluded.departed_until,
        country_code = excluded.country_code, locale = excluded.locale, tags = excluded.tags,
        granted_consents = excluded.granted_consents, booked_stays = excluded.booked_stays,
        stay_departures = excluded.stay_departures`;

const projected = (r: string) =>
  `(${r}.destination_id, ${r}.created_at, ${r}.erased_at IS NULL, ${r}.strong_interests,
        ${r}.country_code, ${r}.locale, ${r}.tags, ${r}.granted_consents, ${r}.booked_stays,
        ${r}.stay_departures)`;

const visitorsFactsChanged = (bits: (interests: string) => string) => `
  CREATE OR REPLACE FUNCTION visitors_facts_changed() RETURNS trigger
      LANGUAGE plpgsql SET enable_nestloop = off AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${upsert('new_rows n', bits)};
        ELSIF TG_OP = 'UPDATE' THEN
          ${upsert(
            `new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE ${projected('o')} IS DISTINCT FROM ${projected('n')}`,
            bits,
          )};
        ELSE
          DELETE FROM segment_facts f USING old_rows o WHERE f.visitor_id = o.id;
        END IF;
        RETURN NULL;
      END
      $$`;

/** interest_bits() (migrations SegmentFacts, StrongInterestsSetBased) as a subquery. */
const inlineBits = (interests: string) =>
  `(SELECT coalesce(bit_or(1::bigint << i.bit), 0) FROM interests i
     WHERE i.id = ANY(${interests}) AND i.bit IS NOT NULL)`;

export class SegmentFactsBitsInline1796046000000 implements MigrationInterface {
  name = 'SegmentFactsBitsInline1796046000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(visitorsFactsChanged(inlineBits));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(visitorsFactsChanged((interests) => `interest_bits(${interests})`));
  }
}
