import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand. The UPDATE branch of `visitors_facts_changed` (migration SegmentFacts) joins
 * the statement's old and new rows. Transition tables have no statistics, and PL/pgSQL keeps the
 * plan its first call made: a first call with a row or two planned a nested loop, kept for every
 * later call of the session — quadratic in the rows of one UPDATE (500 visitors: 75 ms, 10,000
 * would take ~30 s; the CSV import writes 1,000 at a time). Planned without nested loops, the join
 * is a hash join whatever the first call was (500 visitors: 18 ms). The function's other
 * statements do not join.
 */
export class SegmentFactsHashJoin1796041000000 implements MigrationInterface {
  name = 'SegmentFactsHashJoin1796041000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER FUNCTION visitors_facts_changed() SET enable_nestloop = off');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER FUNCTION visitors_facts_changed() RESET enable_nestloop');
  }
}
