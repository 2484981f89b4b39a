import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * visitor_interests.evidence_sum: the sum behind each score, kept so that new evidence is added to
 * it exactly. Scores ingested evidence once brought forward by reading the sum back from the score
 * (−ln(1 − score)), which is lost once the score rounds to 1: such a pair — a prolific account,
 * the office's own — was recomputed from all its evidence at every batch of posts. Filled here
 * from the scores where they still tell it; the others stay null and are recomputed once, when
 * next touched (or by the nightly refresh).
 */
export class InterestScoreSums1796039179976 implements MigrationInterface {
  name = 'InterestScoreSums1796039179976';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "visitor_interests" ADD "evidence_sum" double precision');
    await queryRunner.query(
      'UPDATE "visitor_interests" SET "evidence_sum" = -ln(1 - "score") WHERE "score" < 1 - 1e-9',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "visitor_interests" DROP COLUMN "evidence_sum"');
  }
}
