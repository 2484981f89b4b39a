import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand: exact segment counts at a million visitors read a narrow table of what filters
 * need, not the visitors' rows (bench/segments.bench.ts).
 *
 * An exact count of a filter matching 8–50% of the visitors reads nearly every row. The visitors
 * row carries PII and the cached facts in their readable form (`strong_interests` alone, a uuid
 * array, is ~84 bytes): 360 MB at 1M visitors, 150–700 ms per count. `segment_facts` holds one
 * row per visitor with only what filters and breakdowns read, compactly: the strong interests as
 * a bit set (`interests.bit`, the first 64 interests of a destination; any later one is read
 * from `visitor_interests`), the ambassador tier and score (no subquery per row), the erased flag,
 * and the ends of the stay facts (`booked_until`, `departed_until`: a phase filter tests them
 * before the multiranges, see SEGMENT_SQL.phases). About 250 MB, and most per-row tests are
 * integer ones.
 *
 * It is kept by statement triggers, in the transaction of the write, from the transition tables:
 * - on `visitors` (insert, update of a projected column, delete): the row's projection. The
 *   caches on the visitor row (interests, consents, stays) are themselves kept by the triggers of
 *   SegmentsPerformance / SegmentCacheMaintenance, whose UPDATE of the row fires this one;
 * - on `ambassador_scores`: the tier and score (NONE / 0 without a row).
 * Each trigger writes the values of the rows its statement wrote, while holding their row locks,
 * so two transactions cannot leave a stale projection; `segment_facts_expected` is the same
 * projection as a view (backfill, benchmark generator, test/e2e/segment-cache.e2e-spec.ts).
 *
 * Also: covering indexes for the two criteria that read other tables (stays overlapping a range,
 * interest scores at another threshold), so they are index-only; the visitors indexes that only
 * segment counts used are dropped (less to maintain on every visitor write).
 */
export class SegmentFacts1796012000000 implements MigrationInterface {
  name = 'SegmentFacts1796012000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // ------------------------------------------------------------- interest bits
    await queryRunner.query('ALTER TABLE "interests" ADD "bit" smallint');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "interests_destination_bit" ON "interests" ("destination_id", "bit")',
    );
    // The lowest free bit of the destination (0–63), NULL beyond 64 interests. An advisory lock
    // per destination serialises concurrent creations (the unique index would refuse one).
    await queryRunner.query(`CREATE FUNCTION interests_assign_bit() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('interest-bits:' || NEW.destination_id::text, 0));
        NEW.bit := (SELECT b FROM generate_series(0, 63) AS b
                     WHERE NOT EXISTS (SELECT 1 FROM interests i
                                        WHERE i.destination_id = NEW.destination_id AND i.bit = b)
                     ORDER BY b LIMIT 1);
        RETURN NEW;
      END
      $$`);
    await queryRunner.query(`CREATE TRIGGER interests_bit BEFORE INSERT ON interests
      FOR EACH ROW EXECUTE FUNCTION interests_assign_bit()`);
    await queryRunner.query(`UPDATE interests i SET bit = r.bit
      FROM (SELECT id, (row_number() OVER (PARTITION BY destination_id ORDER BY created_at, id) - 1)::smallint AS bit
              FROM interests) r
     WHERE i.id = r.id AND r.bit < 64`);
    await queryRunner.query(`CREATE FUNCTION interest_bits(p_interests uuid[])
      RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT coalesce(bit_or(1::bigint << i.bit), 0)
          FROM interests i WHERE i.id = ANY(p_interests) AND i.bit IS NOT NULL
      $$`);

    // --------------------------------------------------------------- the table
    // Fixed-width columns first: a test of them does not decode the arrays after them.
    await queryRunner.query(`CREATE TABLE "segment_facts" (
      "visitor_id" uuid NOT NULL,
      "destination_id" uuid NOT NULL,
      "created_at" timestamptz NOT NULL,
      "erased" boolean NOT NULL,
      "interest_bits" bigint NOT NULL,
      "ambassador_tier" "public"."ambassador_tier" NOT NULL DEFAULT 'NONE',
      "ambassador_score" double precision NOT NULL DEFAULT 0,
      "booked_until" timestamptz,
      "departed_until" timestamptz,
      "country_code" text,
      "locale" text,
      "tags" text array NOT NULL,
      "granted_consents" text array NOT NULL,
      "booked_stays" tstzmultirange NOT NULL,
      "stay_departures" tstzmultirange NOT NULL,
      CONSTRAINT "segment_facts_pkey" PRIMARY KEY ("visitor_id"))`);
    await queryRunner.query(`CREATE VIEW segment_facts_expected AS
      SELECT v.id AS visitor_id, v.destination_id, v.created_at, v.erased_at IS NOT NULL AS erased,
             interest_bits(v.strong_interests) AS interest_bits,
             coalesce(a.tier, 'NONE') AS ambassador_tier, coalesce(a.score, 0) AS ambassador_score,
             upper(v.booked_stays) AS booked_until, upper(v.stay_departures) AS departed_until,
             v.country_code, v.locale, v.tags, v.granted_consents, v.booked_stays, v.stay_departures
        FROM visitors v LEFT JOIN ambassador_scores a ON a.visitor_id = v.id`);

    // ---------------------------------------------------------------- triggers
    // The visitor part (everything but the ambassador columns) from the rows the statement
    // wrote; on UPDATE only the rows whose projection changed.
    const upsert = (rows: string) => `
      INSERT INTO segment_facts AS f (visitor_id, destination_id, created_at, erased, interest_bits,
                                      booked_until, departed_until, country_code, locale, tags,
                                      granted_consents, booked_stays, stay_departures)
      SELECT n.id, n.destination_id, n.created_at, n.erased_at IS NOT NULL,
             interest_bits(n.strong_interests), upper(n.booked_stays), upper(n.stay_departures),
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
    await queryRunner.query(`CREATE FUNCTION visitors_facts_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${upsert('new_rows n')};
        ELSIF TG_OP = 'UPDATE' THEN
          ${upsert(`new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE ${projected('o')} IS DISTINCT FROM ${projected('n')}`)};
        ELSE
          DELETE FROM segment_facts f USING old_rows o WHERE f.visitor_id = o.id;
        END IF;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`CREATE TRIGGER visitors_facts_inserted AFTER INSERT ON visitors
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION visitors_facts_changed()`);
    await queryRunner.query(`CREATE TRIGGER visitors_facts_updated AFTER UPDATE ON visitors
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION visitors_facts_changed()`);
    await queryRunner.query(`CREATE TRIGGER visitors_facts_deleted AFTER DELETE ON visitors
      REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION visitors_facts_changed()`);

    await queryRunner.query(`CREATE FUNCTION ambassador_scores_facts_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          UPDATE segment_facts f SET ambassador_tier = 'NONE', ambassador_score = 0
            FROM old_rows o
           WHERE f.visitor_id = o.visitor_id;
        ELSE
          UPDATE segment_facts f SET ambassador_tier = n.tier, ambassador_score = n.score
            FROM new_rows n
           WHERE f.visitor_id = n.visitor_id
             AND (f.ambassador_tier, f.ambassador_score) IS DISTINCT FROM (n.tier, n.score);
        END IF;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`CREATE TRIGGER ambassador_scores_facts_inserted AFTER INSERT ON ambassador_scores
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ambassador_scores_facts_changed()`);
    await queryRunner.query(`CREATE TRIGGER ambassador_scores_facts_updated AFTER UPDATE ON ambassador_scores
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ambassador_scores_facts_changed()`);
    await queryRunner.query(`CREATE TRIGGER ambassador_scores_facts_deleted AFTER DELETE ON ambassador_scores
      REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ambassador_scores_facts_changed()`);

    // ---------------------------------------------------------------- backfill
    await queryRunner.query('INSERT INTO segment_facts SELECT * FROM segment_facts_expected');

    // ----------------------------------------------------------------- indexes
    // Pages in (created_at, id) order; campaigns' activation scan in id order (the primary key).
    await queryRunner.query(
      'CREATE INDEX "segment_facts_page" ON "segment_facts" ("destination_id", "created_at", "visitor_id")',
    );
    // Everyone, or a countries filter: counted by an index-only scan.
    await queryRunner.query(
      'CREATE INDEX "segment_facts_live_country" ON "segment_facts" ("destination_id", "country_code") WHERE NOT "erased"',
    );
    await queryRunner.query(
      'CREATE INDEX "stays_live_departure" ON "stays" ("destination_id", "departure_at") INCLUDE ("arrival_at", "visitor_id") WHERE "status" <> \'CANCELLED\'',
    );
    await queryRunner.query(
      'CREATE INDEX "visitor_interests_by_score" ON "visitor_interests" ("destination_id", "interest_id", "score") INCLUDE ("visitor_id")',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_de99a3ef5dd05150ca3875b9cc"');
    await queryRunner.query('DROP INDEX "visitors_strong_interests"');
    await queryRunner.query('DROP INDEX "visitors_live_country"');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX "visitors_live_country" ON "visitors" ("destination_id", "country_code") WHERE "erased_at" IS NULL',
    );
    await queryRunner.query(
      'CREATE INDEX "visitors_strong_interests" ON "visitors" USING gin ("strong_interests")',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_de99a3ef5dd05150ca3875b9cc" ON "visitor_interests" ("destination_id", "interest_id", "score")',
    );
    await queryRunner.query('DROP INDEX "visitor_interests_by_score"');
    await queryRunner.query('DROP INDEX "stays_live_departure"');
    for (const event of ['inserted', 'updated', 'deleted']) {
      await queryRunner.query(`DROP TRIGGER ambassador_scores_facts_${event} ON ambassador_scores`);
      await queryRunner.query(`DROP TRIGGER visitors_facts_${event} ON visitors`);
    }
    await queryRunner.query('DROP FUNCTION ambassador_scores_facts_changed()');
    await queryRunner.query('DROP FUNCTION visitors_facts_changed()');
    await queryRunner.query('DROP VIEW segment_facts_expected');
    await queryRunner.query('DROP TABLE "segment_facts"');
    await queryRunner.query('DROP FUNCTION interest_bits(uuid[])');
    await queryRunner.query('DROP TRIGGER interests_bit ON interests');
    await queryRunner.query('DROP FUNCTION interests_assign_bit()');
    await queryRunner.query('DROP INDEX "interests_destination_bit"');
    await queryRunner.query('ALTER TABLE "interests" DROP COLUMN "bit"');
  }
}
