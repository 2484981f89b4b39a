import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand: what segments need to answer at a million visitors (bench/segments.bench.ts).
 *
 * Per-visitor subqueries (EXISTS on visitor_interests, visitor_phase(), visitor_consent() for
 * each row) cost 0.5 to 4.5 s per count at 1M visitors. So the facts segments filter on are
 * cached on the visitor row, each derived from its one definition:
 * - `strong_interests`: the interests scored ≥ 0.2 (the segments' default threshold), written by
 *   the score refresh (InterestScoresService REFRESH_SQL), GIN-indexed (`&&` any, `@>` all);
 * - `granted_consents`: the (channel, purpose) pairs whose current consent is granted, as
 *   `consent_key()` strings, computed with `visitor_consent()` by triggers on `consents`;
 * - `booked_stays` / `stay_departures`: the inputs of `stay_phase()`, by triggers on `stays`.
 *   `visitor_phase()` becomes `stay_phase()` of the same inputs read from `stays`, so the phase
 *   of a row (segments) and of one visitor (Visitor.phase) cannot disagree.
 * Triggers are per statement (transition tables): a 50,000-line import recomputes once.
 */
export class SegmentsPerformance1795674724667 implements MigrationInterface {
  name = 'SegmentsPerformance1795674724667';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "visitors"
      ADD "strong_interests" uuid array NOT NULL DEFAULT '{}',
      ADD "granted_consents" text array NOT NULL DEFAULT '{}',
      ADD "booked_stays" tstzmultirange NOT NULL DEFAULT '{}',
      ADD "stay_departures" tstzmultirange NOT NULL DEFAULT '{}'`);

    // ---------------------------------------------------------------- consents
    await queryRunner.query(`CREATE FUNCTION consent_key(p_channel text, p_purpose text)
      RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT p_purpose || ':' || coalesce(p_channel, '')
      $$`);
    // Only the pairs the visitor has records for can be granted; visitor_consent() decides.
    await queryRunner.query(`CREATE FUNCTION granted_consents_of(p_visitor uuid)
      RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(k.key ORDER BY k.key), '{}')
          FROM (SELECT DISTINCT consent_key(c.channel::text, c.purpose::text) AS key,
                       c.channel::text AS channel, c.purpose::text AS purpose
                  FROM consents c WHERE c.visitor_id = p_visitor) k
         WHERE visitor_consent(p_visitor, k.channel, k.purpose)
      $$`);
    await queryRunner.query(`CREATE FUNCTION refresh_granted_consents(p_visitors uuid[])
      RETURNS void LANGUAGE sql AS $$
        UPDATE visitors v SET granted_consents = x.keys
          FROM (SELECT id, granted_consents_of(id) AS keys
                  FROM (SELECT DISTINCT unnest(p_visitors) AS id) ids) x
         WHERE v.id = x.id AND v.granted_consents IS DISTINCT FROM x.keys
      $$`);

    // ------------------------------------------------------------------- stays
    await queryRunner.query(`CREATE FUNCTION booked_stays_of(p_visitor uuid)
      RETURNS tstzmultirange LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT coalesce(range_agg(tstzrange(s.arrival_at, s.departure_at)), '{}')
          FROM stays s WHERE s.visitor_id = p_visitor AND s.status = 'BOOKED'
      $$`);
    await queryRunner.query(`CREATE FUNCTION stay_departures_of(p_visitor uuid)
      RETURNS tstzmultirange LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT coalesce(range_agg(tstzrange(s.departure_at, s.departure_at, '[]')), '{}')
          FROM stays s WHERE s.visitor_id = p_visitor AND s.status <> 'CANCELLED'
      $$`);
    // The rule of visitor_phase() (CrmCore) on those inputs. DURING: now is inside a BOOKED stay
    // ([arrival, departure)); BEFORE: a BOOKED stay ends after now (so, not being inside one,
    // starts after now); AFTER: a stay not cancelled departed in (now − after_days, now].
    // A plain expression: inlined where it is called on columns.
    await queryRunner.query(`CREATE FUNCTION stay_phase(p_booked tstzmultirange,
        p_departures tstzmultirange, p_now timestamptz, p_after_days integer)
      RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE
          WHEN p_booked @> p_now THEN 'DURING'
          WHEN p_booked && tstzrange(p_now, NULL, '()') THEN 'BEFORE'
          WHEN p_departures && tstzrange(p_now - make_interval(days => p_after_days), p_now, '(]')
            THEN 'AFTER'
          ELSE 'NONE'
        END
      $$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION visitor_phase(p_visitor uuid,
        p_now timestamptz, p_after_days integer)
      RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT stay_phase(booked_stays_of(p_visitor), stay_departures_of(p_visitor), p_now,
                          p_after_days)
      $$`);
    await queryRunner.query(`CREATE FUNCTION refresh_visitor_stays(p_visitors uuid[])
      RETURNS void LANGUAGE sql AS $$
        UPDATE visitors v SET booked_stays = x.booked, stay_departures = x.departures
          FROM (SELECT id, booked_stays_of(id) AS booked, stay_departures_of(id) AS departures
                  FROM (SELECT DISTINCT unnest(p_visitors) AS id) ids) x
         WHERE v.id = x.id
           AND (v.booked_stays, v.stay_departures) IS DISTINCT FROM (x.booked, x.departures)
      $$`);

    // ---------------------------------------------------------------- triggers
    for (const [table, refresh] of [
      ['consents', 'refresh_granted_consents'],
      ['stays', 'refresh_visitor_stays'],
    ]) {
      await queryRunner.query(`CREATE FUNCTION ${table}_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            PERFORM ${refresh}(ARRAY(SELECT visitor_id FROM new_rows));
          ELSIF TG_OP = 'UPDATE' THEN
            PERFORM ${refresh}(ARRAY(SELECT visitor_id FROM old_rows
                                     UNION SELECT visitor_id FROM new_rows));
          ELSE
            PERFORM ${refresh}(ARRAY(SELECT visitor_id FROM old_rows));
          END IF;
          RETURN NULL;
        END
        $$`);
      await queryRunner.query(`CREATE TRIGGER ${table}_inserted AFTER INSERT ON ${table}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${table}_changed()`);
      await queryRunner.query(`CREATE TRIGGER ${table}_updated AFTER UPDATE ON ${table}
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION ${table}_changed()`);
      await queryRunner.query(`CREATE TRIGGER ${table}_deleted AFTER DELETE ON ${table}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${table}_changed()`);
    }

    // ---------------------------------------------------------------- backfill
    await queryRunner.query(`UPDATE visitors v SET strong_interests = s.ids
      FROM (SELECT visitor_id, array_agg(interest_id ORDER BY interest_id) AS ids
              FROM visitor_interests WHERE score >= 0.2 GROUP BY visitor_id) s
     WHERE v.id = s.visitor_id`);
    await queryRunner.query(
      'SELECT refresh_granted_consents(ARRAY(SELECT DISTINCT visitor_id FROM consents))',
    );
    await queryRunner.query(
      'SELECT refresh_visitor_stays(ARRAY(SELECT DISTINCT visitor_id FROM stays))',
    );

    // ----------------------------------------------------------------- indexes
    await queryRunner.query(
      'CREATE INDEX "visitors_strong_interests" ON "visitors" USING gin ("strong_interests")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "visitors_strong_interests"');
    for (const table of ['consents', 'stays']) {
      for (const event of ['inserted', 'updated', 'deleted']) {
        await queryRunner.query(`DROP TRIGGER ${table}_${event} ON ${table}`);
      }
      await queryRunner.query(`DROP FUNCTION ${table}_changed()`);
    }
    await queryRunner.query('DROP FUNCTION refresh_visitor_stays(uuid[])');
    // Back to the definition of CrmCore.
    await queryRunner.query(`CREATE OR REPLACE FUNCTION visitor_phase(p_visitor uuid,
        p_now timestamptz, p_after_days integer)
      RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE
          WHEN EXISTS (SELECT 1 FROM stays s WHERE s.visitor_id = p_visitor AND s.status = 'BOOKED'
                       AND s.arrival_at <= p_now AND p_now < s.departure_at) THEN 'DURING'
          WHEN EXISTS (SELECT 1 FROM stays s WHERE s.visitor_id = p_visitor AND s.status = 'BOOKED'
                       AND s.arrival_at > p_now) THEN 'BEFORE'
          WHEN EXISTS (SELECT 1 FROM stays s WHERE s.visitor_id = p_visitor AND s.status <> 'CANCELLED'
                       AND s.departure_at <= p_now
                       AND s.departure_at > p_now - make_interval(days => p_after_days)) THEN 'AFTER'
          ELSE 'NONE'
        END
      $$`);
    await queryRunner.query(
      'DROP FUNCTION stay_phase(tstzmultirange, tstzmultirange, timestamptz, integer)',
    );
    await queryRunner.query('DROP FUNCTION stay_departures_of(uuid)');
    await queryRunner.query('DROP FUNCTION booked_stays_of(uuid)');
    await queryRunner.query('DROP FUNCTION refresh_granted_consents(uuid[])');
    await queryRunner.query('DROP FUNCTION granted_consents_of(uuid)');
    await queryRunner.query('DROP FUNCTION consent_key(text, text)');
    await queryRunner.query(`ALTER TABLE "visitors" DROP COLUMN "stay_departures",
      DROP COLUMN "booked_stays", DROP COLUMN "granted_consents", DROP COLUMN "strong_interests"`);
  }
}
