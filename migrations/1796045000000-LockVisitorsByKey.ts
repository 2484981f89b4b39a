import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand. `lock_visitors` (migration SegmentCacheMaintenance), which the score triggers
 * call before they rewrite visitors' strong interests, filtered `id = ANY(p_visitors)`. PL/pgSQL
 * soon runs it with a generic plan, where the array is a parameter: PostgreSQL then tests each
 * row against the array element by element (it hashes only a constant array). On a table without
 * statistics yet (a new install, a burst of new prospects) that plan is a sequential scan: every
 * visitor of every destination compared with every id, 9–17 ms for a page's few hundred visitors
 * with 2,000–5,000 visitors in the table, growing with both. Joined to the unnested ids, the
 * visitors are found by primary key whatever the statistics (400 visitors: ~2 ms).
 */
export class LockVisitorsByKey1796045000000 implements MigrationInterface {
  name = 'LockVisitorsByKey1796045000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION lock_visitors(p_visitors uuid[])
      RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM 1 FROM visitors v
            WHERE v.id IN (SELECT unnest(p_visitors))
            ORDER BY v.id FOR NO KEY UPDATE OF v;
        END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION lock_visitors(p_visitors uuid[])
      RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM 1 FROM visitors WHERE id = ANY(p_visitors) ORDER BY id FOR NO KEY UPDATE;
        END
      $$`);
  }
}
