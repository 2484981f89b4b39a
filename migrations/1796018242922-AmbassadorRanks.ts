import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AmbassadorRanks1796018242922 implements MigrationInterface {
  name = 'AmbassadorRanks1796018242922';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "ambassador_ranks" ("destination_id" uuid NOT NULL, "score" double precision NOT NULL, "rank" integer NOT NULL, CONSTRAINT "PK_2b658d425260ab8d5498e6b3f97" PRIMARY KEY ("destination_id", "score"))',
    );
    // Ranks move to one row per score value; the stored ones are kept until the next recompute.
    await queryRunner.query(
      'INSERT INTO "ambassador_ranks" ("destination_id", "score", "rank") SELECT "destination_id", "score", min("rank") FROM "ambassador_scores" WHERE "rank" IS NOT NULL GROUP BY 1, 2',
    );
    await queryRunner.query('ALTER TABLE "ambassador_scores" DROP COLUMN "rank"');
    await queryRunner.query(
      'ALTER TABLE "ambassador_ranks" ADD CONSTRAINT "FK_5843e34552b1292b9d0d8dcd49a" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "ambassador_ranks" DROP CONSTRAINT "FK_5843e34552b1292b9d0d8dcd49a"',
    );
    await queryRunner.query('ALTER TABLE "ambassador_scores" ADD "rank" integer');
    await queryRunner.query(
      'UPDATE "ambassador_scores" a SET "rank" = r."rank" FROM "ambassador_ranks" r WHERE r."destination_id" = a."destination_id" AND r."score" = a."score"',
    );
    await queryRunner.query('DROP TABLE "ambassador_ranks"');
  }
}
