import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand: the facts cached on `visitors` for segments (migration SegmentsPerformance)
 * stay exact on every write path, concurrent ones included.
 *
 * - `strong_interests` was written only by the score refresh statement (InterestScoresService
 *   REFRESH_SQL): any other write of `visitor_interests` (a fix by hand, a future module, a test
 *   fixture) left it stale. It is now kept by statement triggers on `visitor_interests`, like the
 *   consents and stays facts, from one definition (`strong_interests_of`); the refresh statement
 *   no longer writes it itself.
 * - The triggers computed a visitor's facts from the statement's snapshot, then updated the row.
 *   Two transactions writing records of the same visitor at once (a partner's booking and an
 *   office edit; an import and a form) each saw only their own record: the second UPDATE waited
 *   for the first transaction, then wrote what it had computed without the first one's record.
 *   The triggers now lock the visitors' rows first (in id order: no deadlock between two of
 *   them), then compute in a new statement, whose snapshot sees every committed write.
 * - The caches are recomputed once (repairing what such a race may have left).
 */
export class SegmentCacheMaintenance1796006353808 implements MigrationInterface {
  name = 'SegmentCacheMaintenance1796006353808';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION lock_visitors(p_visitors uuid[])
      RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM 1 FROM visitors WHERE id = ANY(p_visitors) ORDER BY id FOR NO KEY UPDATE;
        END
      $$`);

    // 0.2: STRONG_INTEREST_SCORE (interest-scores.service.ts), the segments' default threshold.
    await queryRunner.query(`CREATE FUNCTION strong_interests_of(p_visitor uuid)
      RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(vi.interest_id ORDER BY vi.interest_id), '{}')
          FROM visitor_interests vi WHERE vi.visitor_id = p_visitor AND vi.score >= 0.2::float8
      $$`);
    await queryRunner.query(`CREATE FUNCTION refresh_strong_interests(p_visitors uuid[])
      RETURNS void LANGUAGE sql AS $$
        UPDATE visitors v SET strong_interests = x.ids
          FROM (SELECT id, strong_interests_of(id) AS ids
                  FROM (SELECT DISTINCT unnest(p_visitors) AS id) ids) x
         WHERE v.id = x.id AND v.strong_interests IS DISTINCT FROM x.ids
      $$`);

    for (const [table, refresh] of TRIGGERS) {
      // PERFORM runs each call as its own statement: the refresh's snapshot is taken after the
      // locks are granted, so it sees the records of the transactions it waited for.
      await queryRunner.query(`CREATE OR REPLACE FUNCTION ${table}_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
          ids uuid[];
        BEGIN
          IF TG_OP = 'INSERT' THEN
            ids := ARRAY(SELECT DISTINCT visitor_id FROM new_rows);
          ELSIF TG_OP = 'UPDATE' THEN
            ids := ARRAY(SELECT visitor_id FROM old_rows UNION SELECT visitor_id FROM new_rows);
          ELSE
            ids := ARRAY(SELECT DISTINCT visitor_id FROM old_rows);
          END IF;
          PERFORM lock_visitors(ids);
          PERFORM ${refresh}(ids);
          RETURN NULL;
        END
        $$`);
    }
    await queryRunner.query(`CREATE TRIGGER visitor_interests_inserted AFTER INSERT ON visitor_interests
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION visitor_interests_changed()`);
    await queryRunner.query(`CREATE TRIGGER visitor_interests_updated AFTER UPDATE ON visitor_interests
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION visitor_interests_changed()`);
    await queryRunner.query(`CREATE TRIGGER visitor_interests_deleted AFTER DELETE ON visitor_interests
      REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION visitor_interests_changed()`);

    // ------------------------------------------------------------------ repair
    await queryRunner.query(`UPDATE visitors v SET strong_interests = x.ids
      FROM (SELECT v.id, coalesce(s.ids, '{}') AS ids
              FROM visitors v
              LEFT JOIN (SELECT visitor_id, array_agg(interest_id ORDER BY interest_id) AS ids
                           FROM visitor_interests WHERE score >= 0.2::float8
                          GROUP BY visitor_id) s ON s.visitor_id = v.id) x
     WHERE v.id = x.id AND v.strong_interests IS DISTINCT FROM x.ids`);
    await queryRunner.query(
      'SELECT refresh_granted_consents(ARRAY(SELECT DISTINCT visitor_id FROM consents))',
    );
    await queryRunner.query(
      'SELECT refresh_visitor_stays(ARRAY(SELECT DISTINCT visitor_id FROM stays))',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const event of ['inserted', 'updated', 'deleted']) {
      await queryRunner.query(`DROP TRIGGER visitor_interests_${event} ON visitor_interests`);
    }
    await queryRunner.query('DROP FUNCTION visitor_interests_changed()');
    // Back to the triggers of SegmentsPerformance (the score refresh writes strong_interests
    // again once its code is reverted too).
    for (const [table, refresh] of TRIGGERS.filter(([t]) => t !== 'visitor_interests')) {
      await queryRunner.query(`CREATE OR REPLACE FUNCTION ${table}_changed() RETURNS trigger
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
    }
    await queryRunner.query('DROP FUNCTION refresh_strong_interests(uuid[])');
    await queryRunner.query('DROP FUNCTION strong_interests_of(uuid)');
    await queryRunner.query('DROP FUNCTION lock_visitors(uuid[])');
  }
}

const TRIGGERS: [string, string][] = [
  ['consents', 'refresh_granted_consents'],
  ['stays', 'refresh_visitor_stays'],
  ['visitor_interests', 'refresh_strong_interests'],
];
