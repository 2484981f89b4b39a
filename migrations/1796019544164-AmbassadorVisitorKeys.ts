import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AmbassadorVisitorKeys1796019544164 implements MigrationInterface {
  name = 'AmbassadorVisitorKeys1796019544164';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "ambassador_changes" DROP CONSTRAINT "FK_beaf7bf417d9ea3b19a26f0fcec"',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_scores" DROP CONSTRAINT "FK_81bd24b5319c362580801df0c03"',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "ambassador_scores" ADD CONSTRAINT "FK_81bd24b5319c362580801df0c03" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_changes" ADD CONSTRAINT "FK_beaf7bf417d9ea3b19a26f0fcec" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }
}
