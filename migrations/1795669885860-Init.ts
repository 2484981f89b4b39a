import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1795669885860 implements MigrationInterface {
  name = 'Init1795669885860';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "destinations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "time_zone" text NOT NULL, "default_locale" text NOT NULL, "twitter_handles" text array NOT NULL DEFAULT \'{}\', "tracked_hashtags" text array NOT NULL DEFAULT \'{}\', "quiet_start" text, "quiet_end" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_69c5e8db964dcb83d3a0640f3c7" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"api_scope\" AS ENUM('READ_AGGREGATES', 'READ_PROFILES', 'WRITE_INTERACTIONS', 'WRITE_STAYS')",
    );
    await queryRunner.query(
      'CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "destination_id" uuid NOT NULL, "name" text NOT NULL, "prefix" text NOT NULL, "secret_hash" text NOT NULL, "scopes" "public"."api_scope" array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_36ae8505504a0c2dfcf5b1ecfb" ON "api_keys"  ("destination_id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_fef9aa4a1cf4f8c063ac5d75f2" ON "api_keys"  ("secret_hash") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"user_role\" AS ENUM('ADMIN', 'MARKETER', 'ANALYST')",
    );
    await queryRunner.query(
      'CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "destination_id" uuid NOT NULL, "email" text NOT NULL, "password_hash" text NOT NULL, "role" "public"."user_role" NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_ef8bae00df483b037d9b9ac2ef" ON "users"  ("destination_id") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"place_kind\" AS ENUM('STREET', 'SQUARE', 'DISTRICT', 'VENUE', 'ATTRACTION', 'ACCOMMODATION', 'RESTAURANT', 'EVENT', 'OTHER')",
    );
    await queryRunner.query(
      'CREATE TABLE "places" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "destination_id" uuid NOT NULL, "name" text NOT NULL, "kind" "public"."place_kind" NOT NULL, "twitter_handle" text, "latitude" double precision, "longitude" double precision, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1afab86e226b4c3bc9a74465c12" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_94bc707c40954df872b02dcd72" ON "places"  ("destination_id") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"track_kind\" AS ENUM('HASHTAG', 'MENTION', 'ACCOUNT', 'QUERY')",
    );
    await queryRunner.query(
      'CREATE TABLE "tracked_sources" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "destination_id" uuid NOT NULL, "kind" "public"."track_kind" NOT NULL, "value" text NOT NULL, "normalized_value" text NOT NULL, "active" boolean NOT NULL DEFAULT true, "last_polled_at" TIMESTAMP WITH TIME ZONE, "cursor" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1b462c76e191522665cb8d81dcf" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_b27b88316ca776958b7a6b4ca6" ON "tracked_sources"  ("destination_id", "kind", "normalized_value") ',
    );
    await queryRunner.query(
      'CREATE TABLE "interests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "destination_id" uuid NOT NULL, "slug" text NOT NULL, "labels" jsonb NOT NULL DEFAULT \'{}\', "keywords" text array NOT NULL DEFAULT \'{}\', "hashtags" text array NOT NULL DEFAULT \'{}\', "parent_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a2dc7b6f9a8bcf9e3f9312a879d" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_f516410babfa2a2b130cbb63f1" ON "interests"  ("destination_id", "slug") ',
    );
    await queryRunner.query(
      'CREATE TABLE "place_interests" ("place_id" uuid NOT NULL, "interest_id" uuid NOT NULL, "destination_id" uuid NOT NULL, CONSTRAINT "PK_7de9e3cf0e04b535bba19647db1" PRIMARY KEY ("place_id", "interest_id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_1e79d039edda439dd4ca6120f7" ON "place_interests"  ("interest_id") ',
    );
    await queryRunner.query(
      'ALTER TABLE "api_keys" ADD CONSTRAINT "FK_36ae8505504a0c2dfcf5b1ecfb9" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "users" ADD CONSTRAINT "FK_ef8bae00df483b037d9b9ac2efc" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "places" ADD CONSTRAINT "FK_94bc707c40954df872b02dcd727" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "tracked_sources" ADD CONSTRAINT "FK_e0bcf2202b5fec455ec6cc7120c" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "interests" ADD CONSTRAINT "FK_0878c18ab64ed44cc2eed35214e" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "interests" ADD CONSTRAINT "FK_7f4a048604201844fc005e29503" FOREIGN KEY ("parent_id") REFERENCES "interests"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "place_interests" ADD CONSTRAINT "FK_2d88b323b3eba95fdb0213728dc" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "place_interests" ADD CONSTRAINT "FK_28bec9e8043b48c9627a7a3c757" FOREIGN KEY ("place_id") REFERENCES "places"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "place_interests" ADD CONSTRAINT "FK_1e79d039edda439dd4ca6120f75" FOREIGN KEY ("interest_id") REFERENCES "interests"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    // Written by hand: expression indexes the entity metadata cannot describe.
    await queryRunner.query('CREATE UNIQUE INDEX "users_email_key" ON "users" (lower("email"))');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "places_destination_name_key" ON "places" ("destination_id", lower("name"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "places_destination_handle_key" ON "places" ("destination_id", lower("twitter_handle")) WHERE "twitter_handle" IS NOT NULL',
    );
    // rate-limiter-flexible's PostgreSQL store (login brute-force protection), shared by all processes.
    await queryRunner.query(
      'CREATE TABLE "rate_limits" ("key" varchar(255) PRIMARY KEY, "points" integer NOT NULL DEFAULT 0, "expire" bigint)',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "rate_limits"');
    await queryRunner.query('DROP INDEX "places_destination_handle_key"');
    await queryRunner.query('DROP INDEX "places_destination_name_key"');
    await queryRunner.query('DROP INDEX "users_email_key"');
    await queryRunner.query(
      'ALTER TABLE "place_interests" DROP CONSTRAINT "FK_1e79d039edda439dd4ca6120f75"',
    );
    await queryRunner.query(
      'ALTER TABLE "place_interests" DROP CONSTRAINT "FK_28bec9e8043b48c9627a7a3c757"',
    );
    await queryRunner.query(
      'ALTER TABLE "place_interests" DROP CONSTRAINT "FK_2d88b323b3eba95fdb0213728dc"',
    );
    await queryRunner.query(
      'ALTER TABLE "interests" DROP CONSTRAINT "FK_7f4a048604201844fc005e29503"',
    );
    await queryRunner.query(
      'ALTER TABLE "interests" DROP CONSTRAINT "FK_0878c18ab64ed44cc2eed35214e"',
    );
    await queryRunner.query(
      'ALTER TABLE "tracked_sources" DROP CONSTRAINT "FK_e0bcf2202b5fec455ec6cc7120c"',
    );
    await queryRunner.query(
      'ALTER TABLE "places" DROP CONSTRAINT "FK_94bc707c40954df872b02dcd727"',
    );
    await queryRunner.query('ALTER TABLE "users" DROP CONSTRAINT "FK_ef8bae00df483b037d9b9ac2efc"');
    await queryRunner.query(
      'ALTER TABLE "api_keys" DROP CONSTRAINT "FK_36ae8505504a0c2dfcf5b1ecfb9"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_1e79d039edda439dd4ca6120f7"');
    await queryRunner.query('DROP TABLE "place_interests"');
    await queryRunner.query('DROP INDEX "public"."IDX_f516410babfa2a2b130cbb63f1"');
    await queryRunner.query('DROP TABLE "interests"');
    await queryRunner.query('DROP INDEX "public"."IDX_b27b88316ca776958b7a6b4ca6"');
    await queryRunner.query('DROP TABLE "tracked_sources"');
    await queryRunner.query('DROP TYPE "public"."track_kind"');
    await queryRunner.query('DROP INDEX "public"."IDX_94bc707c40954df872b02dcd72"');
    await queryRunner.query('DROP TABLE "places"');
    await queryRunner.query('DROP TYPE "public"."place_kind"');
    await queryRunner.query('DROP INDEX "public"."IDX_ef8bae00df483b037d9b9ac2ef"');
    await queryRunner.query('DROP TABLE "users"');
    await queryRunner.query('DROP TYPE "public"."user_role"');
    await queryRunner.query('DROP INDEX "public"."IDX_fef9aa4a1cf4f8c063ac5d75f2"');
    await queryRunner.query('DROP INDEX "public"."IDX_36ae8505504a0c2dfcf5b1ecfb"');
    await queryRunner.query('DROP TABLE "api_keys"');
    await queryRunner.query('DROP TYPE "public"."api_scope"');
    await queryRunner.query('DROP TABLE "destinations"');
  }
}
