import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Social1795674759800 implements MigrationInterface {
  name = 'Social1795674759800';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "identity_metrics" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "identity_id" uuid NOT NULL, "followers_count" integer, "following_count" integer, "post_count" integer, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_db8854c0770a8e4191af1458831" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_e01421b0ab0aeb905b3aa4d608" ON "identity_metrics"  ("identity_id", "recorded_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "ingestion_states" ("destination_id" uuid NOT NULL, "last_run_at" TIMESTAMP WITH TIME ZONE, "last_error" text, "rate_limit_reset_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ee5011db792b7502f52f0d36289" PRIMARY KEY ("destination_id"))',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"interaction_kind\" AS ENUM('POST', 'REPLY', 'MENTION', 'RETWEET', 'QUOTE', 'LIKE', 'DIRECT_MESSAGE')",
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"wall_status\" AS ENUM('PENDING', 'APPROVED', 'REJECTED')",
    );
    await queryRunner.query(
      'CREATE TABLE "interactions" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "provider" "public"."social_provider" NOT NULL, "external_id" text NOT NULL, "kind" "public"."interaction_kind" NOT NULL, "text" text, "lang" text, "url" text, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "author_identity_id" uuid NOT NULL, "visitor_id" uuid, "likes" integer NOT NULL DEFAULT \'0\', "shares" integer NOT NULL DEFAULT \'0\', "replies" integer NOT NULL DEFAULT \'0\', "quotes" integer NOT NULL DEFAULT \'0\', "impressions" integer, "hashtags" text array NOT NULL DEFAULT \'{}\', "mentions" text array NOT NULL DEFAULT \'{}\', "place_ids" uuid array NOT NULL DEFAULT \'{}\', "sentiment" double precision, "in_reply_to_external_id" text, "referenced_external_id" text, "possibly_sensitive" boolean NOT NULL DEFAULT false, "wall_status" "public"."wall_status", "moderated_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_911b7416a6671b4148b18c18ecb" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_5ae2449e570d41893aa847e012" ON "interactions"  ("destination_id", "referenced_external_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_4a97cd205b8aa093f30a945db0" ON "interactions"  ("author_identity_id", "occurred_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_cc57894fd80fbb718f41385ca9" ON "interactions"  ("visitor_id", "occurred_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_05ab1adc6b05b6cbd46840d981" ON "interactions"  ("destination_id", "occurred_at", "id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_0605bcee07283ef1456da42101" ON "interactions"  ("destination_id", "provider", "external_id") ',
    );
    await queryRunner.query(
      'ALTER TABLE "destinations" ADD "wall_blocklist" text array NOT NULL DEFAULT \'{}\'',
    );
    await queryRunner.query(
      'ALTER TABLE "tracked_sources" ADD "paused_until" TIMESTAMP WITH TIME ZONE',
    );
    await queryRunner.query('ALTER TABLE "tracked_sources" ADD "last_error" text');
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" ADD CONSTRAINT "FK_2a1ca35ab4c865072be9be2ce19" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" ADD CONSTRAINT "FK_745da52b8f327fe852af69b7c2a" FOREIGN KEY ("identity_id") REFERENCES "social_identities"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "ingestion_states" ADD CONSTRAINT "FK_ee5011db792b7502f52f0d36289" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "interactions" ADD CONSTRAINT "FK_21400323287ad29ce7d9e2c8ef9" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "interactions" ADD CONSTRAINT "FK_8c75e4f9312dccdf3ab7f68fe2f" FOREIGN KEY ("author_identity_id") REFERENCES "social_identities"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "interactions" ADD CONSTRAINT "FK_9424d654dfb6b0ec4cf5075e463" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "interactions" DROP CONSTRAINT "FK_9424d654dfb6b0ec4cf5075e463"',
    );
    await queryRunner.query(
      'ALTER TABLE "interactions" DROP CONSTRAINT "FK_8c75e4f9312dccdf3ab7f68fe2f"',
    );
    await queryRunner.query(
      'ALTER TABLE "interactions" DROP CONSTRAINT "FK_21400323287ad29ce7d9e2c8ef9"',
    );
    await queryRunner.query(
      'ALTER TABLE "ingestion_states" DROP CONSTRAINT "FK_ee5011db792b7502f52f0d36289"',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" DROP CONSTRAINT "FK_745da52b8f327fe852af69b7c2a"',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" DROP CONSTRAINT "FK_2a1ca35ab4c865072be9be2ce19"',
    );
    await queryRunner.query('ALTER TABLE "tracked_sources" DROP COLUMN "last_error"');
    await queryRunner.query('ALTER TABLE "tracked_sources" DROP COLUMN "paused_until"');
    await queryRunner.query('ALTER TABLE "destinations" DROP COLUMN "wall_blocklist"');
    await queryRunner.query('DROP INDEX "public"."IDX_0605bcee07283ef1456da42101"');
    await queryRunner.query('DROP INDEX "public"."IDX_05ab1adc6b05b6cbd46840d981"');
    await queryRunner.query('DROP INDEX "public"."IDX_cc57894fd80fbb718f41385ca9"');
    await queryRunner.query('DROP INDEX "public"."IDX_4a97cd205b8aa093f30a945db0"');
    await queryRunner.query('DROP INDEX "public"."IDX_5ae2449e570d41893aa847e012"');
    await queryRunner.query('DROP TABLE "interactions"');
    await queryRunner.query('DROP TYPE "public"."wall_status"');
    await queryRunner.query('DROP TYPE "public"."interaction_kind"');
    await queryRunner.query('DROP TABLE "ingestion_states"');
    await queryRunner.query('DROP INDEX "public"."IDX_e01421b0ab0aeb905b3aa4d608"');
    await queryRunner.query('DROP TABLE "identity_metrics"');
  }
}
