import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Ambassadors1796006451071 implements MigrationInterface {
  name = 'Ambassadors1796006451071';

  // One enum for both tables (the generator wrote it once per table).
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TYPE \"public\".\"ambassador_tier\" AS ENUM('NONE', 'FAN', 'ADVOCATE', 'AMBASSADOR')",
    );
    await queryRunner.query(
      'CREATE TABLE "ambassador_changes" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "visitor_id" uuid NOT NULL, "from_tier" "public"."ambassador_tier" NOT NULL, "to_tier" "public"."ambassador_tier" NOT NULL, "score" double precision NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_6854b6bf56c75d60a0b3e5b2687" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_48a2152b09054060e7b336358c" ON "ambassador_changes"  ("visitor_id", "at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_525b49084ff7cf3ce888e4524d" ON "ambassador_changes"  ("destination_id", "at", "id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "ambassador_scores" ("destination_id" uuid NOT NULL, "visitor_id" uuid NOT NULL, "score" double precision NOT NULL, "tier" "public"."ambassador_tier" NOT NULL, "rank" integer, "reach" double precision NOT NULL, "ratio" double precision NOT NULL, "amplification" double precision NOT NULL, "engagement" double precision NOT NULL, "activity" double precision NOT NULL, "sentiment" double precision NOT NULL, "recency" double precision NOT NULL, "posts" integer NOT NULL, "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_81bd24b5319c362580801df0c03" PRIMARY KEY ("visitor_id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_2fbdef5a48cc5ab5a676d2f90f" ON "ambassador_scores"  ("destination_id", "score", "visitor_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "ambassador_settings" ("destination_id" uuid NOT NULL, "reach_weight" double precision NOT NULL DEFAULT \'0.15\', "ratio_weight" double precision NOT NULL DEFAULT \'0.1\', "amplification_weight" double precision NOT NULL DEFAULT \'0.2\', "engagement_weight" double precision NOT NULL DEFAULT \'0.15\', "activity_weight" double precision NOT NULL DEFAULT \'0.2\', "sentiment_weight" double precision NOT NULL DEFAULT \'0.1\', "recency_weight" double precision NOT NULL DEFAULT \'0.1\', "fan_threshold" double precision NOT NULL DEFAULT \'25\', "advocate_threshold" double precision NOT NULL DEFAULT \'50\', "ambassador_threshold" double precision NOT NULL DEFAULT \'75\', "ambassador_min_posts" integer NOT NULL DEFAULT \'3\', "window_days" integer NOT NULL DEFAULT \'90\', "ratio_cap" double precision NOT NULL DEFAULT \'10\', "recency_half_life_days" double precision NOT NULL DEFAULT \'14\', "last_computed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_4021e96f3c516a45d84f6d1d2ef" PRIMARY KEY ("destination_id"))',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_changes" ADD CONSTRAINT "FK_370f5083eb4b8c2f0bb46a63dba" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_changes" ADD CONSTRAINT "FK_beaf7bf417d9ea3b19a26f0fcec" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_scores" ADD CONSTRAINT "FK_5d82262ace727ce6eaa1b497071" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_scores" ADD CONSTRAINT "FK_81bd24b5319c362580801df0c03" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_settings" ADD CONSTRAINT "FK_4021e96f3c516a45d84f6d1d2ef" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "ambassador_settings" DROP CONSTRAINT "FK_4021e96f3c516a45d84f6d1d2ef"',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_scores" DROP CONSTRAINT "FK_81bd24b5319c362580801df0c03"',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_scores" DROP CONSTRAINT "FK_5d82262ace727ce6eaa1b497071"',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_changes" DROP CONSTRAINT "FK_beaf7bf417d9ea3b19a26f0fcec"',
    );
    await queryRunner.query(
      'ALTER TABLE "ambassador_changes" DROP CONSTRAINT "FK_370f5083eb4b8c2f0bb46a63dba"',
    );
    await queryRunner.query('DROP TABLE "ambassador_settings"');
    await queryRunner.query('DROP INDEX "public"."IDX_2fbdef5a48cc5ab5a676d2f90f"');
    await queryRunner.query('DROP TABLE "ambassador_scores"');
    await queryRunner.query('DROP INDEX "public"."IDX_525b49084ff7cf3ce888e4524d"');
    await queryRunner.query('DROP INDEX "public"."IDX_48a2152b09054060e7b336358c"');
    await queryRunner.query('DROP TABLE "ambassador_changes"');
    await queryRunner.query('DROP TYPE "public"."ambassador_tier"');
  }
}
