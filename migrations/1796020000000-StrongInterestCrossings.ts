import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand. The statement triggers on `visitor_interests` (migration
 * SegmentCacheMaintenance) locked and recomputed the strong interests of every visitor a statement
 * touched, though a visitor's strong interests change only when one of their scores crosses the
 * strong threshold (0.2: STRONG_INTEREST_SCORE, `strong_interests_of`), or a row comes, goes or
 * moves to another visitor at or above it. Ingested evidence moves scores that are mostly already
 * on one side: the recompute was 2.6 of the 17 ms a page of 100 posts costs PostgreSQL. Now only
 * the visitors of such rows are locked and recomputed; the others' caches cannot have changed.
 */
const STRONG = '0.2::float8';

const CHANGED = (ids: { insert: string; update: string; delete: string }) => `
  CREATE OR REPLACE FUNCTION visitor_interests_changed() RETURNS trigger
  LANGUAGE plpgsql AS $$
  DECLARE
    ids uuid[];
  BEGIN
    IF TG_OP = 'INSERT' THEN
      ids := ARRAY(${ids.insert});
    ELSIF TG_OP = 'UPDATE' THEN
      ids := ARRAY(${ids.update});
    ELSE
      ids := ARRAY(${ids.delete});
    END IF;
    IF cardinality(ids) > 0 THEN
      PERFORM lock_visitors(ids);
      PERFORM refresh_strong_interests(ids);
    END IF;
    RETURN NULL;
  END
  $$`;

export class StrongInterestCrossings1796020000000 implements MigrationInterface {
  name = 'StrongInterestCrossings1796020000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      CHANGED({
        insert: `SELECT DISTINCT visitor_id FROM new_rows WHERE score >= ${STRONG}`,
        // Rows matched on their key: one whose visitor or interest changed is a row gone and a
        // row come, and both visitors are recomputed.
        update: `SELECT coalesce(n.visitor_id, o.visitor_id)
                   FROM old_rows o
                   FULL JOIN new_rows n ON n.visitor_id = o.visitor_id AND n.interest_id = o.interest_id
                  WHERE (n.visitor_id IS NULL AND o.score >= ${STRONG})
                     OR (o.visitor_id IS NULL AND n.score >= ${STRONG})
                     OR (o.score >= ${STRONG}) IS DISTINCT FROM (n.score >= ${STRONG})
                  GROUP BY 1`,
        delete: `SELECT DISTINCT visitor_id FROM old_rows WHERE score >= ${STRONG}`,
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      CHANGED({
        insert: 'SELECT DISTINCT visitor_id FROM new_rows',
        update: 'SELECT visitor_id FROM old_rows UNION SELECT visitor_id FROM new_rows',
        delete: 'SELECT DISTINCT visitor_id FROM old_rows',
      }),
    );
  }
}
