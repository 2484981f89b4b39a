import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CrmCore1795671607713 implements MigrationInterface {
  name = 'CrmCore1795671607713';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "visitors" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "first_name" text, "last_name" text, "email" text, "phone" text, "locale" text, "country_code" text, "time_zone" text, "tags" text array NOT NULL DEFAULT \'{}\', "erased_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d0fd6e34a516c2bb3bbec71abde" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_645d5302f8d7127bdebfece846" ON "visitors"  ("destination_id", "created_at", "id") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"evidence_kind\" AS ENUM('HASHTAG', 'KEYWORD', 'PLACE', 'DECLARED', 'STAY')",
    );
    await queryRunner.query(
      'CREATE TABLE "interest_evidence" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "visitor_id" uuid NOT NULL, "interest_id" uuid NOT NULL, "kind" "public"."evidence_kind" NOT NULL, "weight" double precision NOT NULL, "source_id" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_671ddf0750b551388c64cc3467f" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_4a5d23fedee881c3c7d4a0cd03" ON "interest_evidence"  ("interest_id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_2543463a40254c2ff9c6f283c8" ON "interest_evidence"  ("visitor_id", "interest_id", "kind", "source_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "visitor_interests" ("destination_id" uuid NOT NULL, "visitor_id" uuid NOT NULL, "interest_id" uuid NOT NULL, "score" double precision NOT NULL, "evidence_count" integer NOT NULL, "last_evidence_at" TIMESTAMP WITH TIME ZONE NOT NULL, "sources" text array NOT NULL, "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_a968b02a6097119134d262eb773" PRIMARY KEY ("visitor_id", "interest_id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_de99a3ef5dd05150ca3875b9cc" ON "visitor_interests"  ("destination_id", "interest_id", "score") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"stay_status\" AS ENUM('BOOKED', 'CANCELLED', 'COMPLETED')",
    );
    await queryRunner.query(
      'CREATE TABLE "stays" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "visitor_id" uuid NOT NULL, "arrival_at" TIMESTAMP WITH TIME ZONE NOT NULL, "departure_at" TIMESTAMP WITH TIME ZONE NOT NULL, "place_id" uuid, "party_size" integer, "status" "public"."stay_status" NOT NULL DEFAULT \'BOOKED\', "source" text NOT NULL, "external_ref" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_55e31a0cae0fd6ab1a9f3c6b593" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_5cdbecfc476825a1bd9b59a6e2" ON "stays"  ("visitor_id", "arrival_at") ',
    );
    await queryRunner.query('CREATE TYPE "public"."channel" AS ENUM(\'EMAIL\', \'TWITTER_DM\')');
    await queryRunner.query(
      'CREATE TYPE "public"."consent_purpose" AS ENUM(\'MARKETING\', \'PROFILING\')',
    );
    await queryRunner.query(
      'CREATE TABLE "consents" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "visitor_id" uuid NOT NULL, "channel" "public"."channel", "purpose" "public"."consent_purpose" NOT NULL, "granted" boolean NOT NULL, "source" text NOT NULL, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_9efc68eb6aba7d638fb6ea034dd" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_37a4096e730a7ffc9e59e24e78" ON "consents"  ("visitor_id", "purpose", "channel", "recorded_at") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"social_provider\" AS ENUM('TWITTER', 'INSTAGRAM', 'FACEBOOK', 'TIKTOK', 'OTHER')",
    );
    await queryRunner.query(
      'CREATE TABLE "social_identities" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "visitor_id" uuid, "provider" "public"."social_provider" NOT NULL, "external_id" text, "handle" text, "followers_count" integer, "following_count" integer, "post_count" integer, "last_synced_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_868be41cd8c861dcff557319050" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_d26b9f824709d6e24abeaaf0b7" ON "social_identities"  ("visitor_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "suppressions" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "address_hash" text NOT NULL, "reason" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_77bb19dbc77a4ce0ca8cb743f3b" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_95b7abaf1f6350ec3f22886318" ON "suppressions"  ("destination_id", "address_hash") ',
    );
    await queryRunner.query(
      'CREATE TYPE "public"."visitor_record_kind" AS ENUM(\'MERGE\', \'ERASURE\')',
    );
    await queryRunner.query(
      'CREATE TABLE "visitor_records" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" "public"."visitor_record_kind" NOT NULL, "visitor_id" uuid NOT NULL, "other_visitor_id" uuid, "actor" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4a0d65c71549a20d7ead01ad986" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_ab209125f00833a72da7f37a49" ON "visitor_records"  ("destination_id", "visitor_id") ',
    );
    await queryRunner.query(
      'ALTER TABLE "destinations" ADD "after_stay_days" integer NOT NULL DEFAULT \'90\'',
    );
    // Reviewed: existing destinations get a random salt, new ones get theirs from the app.
    await queryRunner.query(
      'ALTER TABLE "destinations" ADD "secret_salt" text NOT NULL DEFAULT encode(sha256(gen_random_uuid()::text::bytea), \'hex\')',
    );
    await queryRunner.query('ALTER TABLE "destinations" ALTER COLUMN "secret_salt" DROP DEFAULT');
    await queryRunner.query(
      'ALTER TABLE "visitors" ADD CONSTRAINT "FK_2a5628bddbb946948e4d273a121" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" ADD CONSTRAINT "FK_e32c9553995fadc78bb9370fa7d" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" ADD CONSTRAINT "FK_ad0668bd50bfadfeb582706d8d0" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" ADD CONSTRAINT "FK_4a5d23fedee881c3c7d4a0cd035" FOREIGN KEY ("interest_id") REFERENCES "interests"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "visitor_interests" ADD CONSTRAINT "FK_83f3d757cc0a2d278ae671c48ee" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "visitor_interests" ADD CONSTRAINT "FK_083a223cfc77539b9a5d9a2d55e" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "visitor_interests" ADD CONSTRAINT "FK_7a7288f64fb77082f4800879980" FOREIGN KEY ("interest_id") REFERENCES "interests"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "stays" ADD CONSTRAINT "FK_ef9fb7a93b1440a6d67c0b25509" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "stays" ADD CONSTRAINT "FK_535f9f396ad7d31fd4528dedcc8" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "stays" ADD CONSTRAINT "FK_55c970848e48c024d8e16ae0cf7" FOREIGN KEY ("place_id") REFERENCES "places"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "consents" ADD CONSTRAINT "FK_15ba335f10cc917f941641021ad" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "consents" ADD CONSTRAINT "FK_ffb9b41f35835986521ff060d3b" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "social_identities" ADD CONSTRAINT "FK_6989dcc91d612da4824ac0eb4b7" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "social_identities" ADD CONSTRAINT "FK_d26b9f824709d6e24abeaaf0b7f" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "suppressions" ADD CONSTRAINT "FK_c47e7b44dcd1f17bb59c2b23890" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "visitor_records" ADD CONSTRAINT "FK_50030ddee70a053ef9d04549d28" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    // Written by hand: partial unique indexes the entity metadata cannot describe.
    await queryRunner.query(
      'CREATE UNIQUE INDEX "visitors_destination_email_key" ON "visitors" ("destination_id", "email") WHERE "email" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "social_identities_external_key" ON "social_identities" ("destination_id", "provider", "external_id") WHERE "external_id" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "social_identities_handle_key" ON "social_identities" ("destination_id", "provider", lower("handle")) WHERE "handle" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "stays_source_ref_key" ON "stays" ("destination_id", "source", "external_ref") WHERE "external_ref" IS NOT NULL',
    );
    // The one definition of a visitor's journey phase, used by Visitor.phase and by segments.
    // DURING: inside a BOOKED stay (arrival included, departure excluded); BEFORE: a BOOKED stay
    // starts later; AFTER: a stay that was not cancelled ended less than `after_days` ago.
    await queryRunner.query(`CREATE FUNCTION visitor_phase(p_visitor uuid, p_now timestamptz, p_after_days integer)
      RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE
          WHEN EXISTS (SELECT 1 FROM stays s WHERE s.visitor_id = p_visitor AND s.status = 'BOOKED'
                       AND s.arrival_at <= p_now AND p_now < s.departure_at) THEN 'DURING'
          WHEN EXISTS (SELECT 1 FROM stays s WHERE s.visitor_id = p_visitor AND s.status = 'BOOKED'
                       AND s.arrival_at > p_now) THEN 'BEFORE'
          WHEN EXISTS (SELECT 1 FROM stays s WHERE s.visitor_id = p_visitor AND s.status <> 'CANCELLED'
                       AND s.departure_at <= p_now
                       AND s.departure_at > p_now - make_interval(days => p_after_days)) THEN 'AFTER'
          ELSE 'NONE'
        END
      $$`);
    // The current consent of a visitor for (channel, purpose): the newest record; none = false.
    await queryRunner.query(`CREATE FUNCTION visitor_consent(p_visitor uuid, p_channel text, p_purpose text)
      RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT coalesce((SELECT c.granted FROM consents c
          WHERE c.visitor_id = p_visitor AND c.purpose::text = p_purpose
            AND c.channel::text IS NOT DISTINCT FROM p_channel
          ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), false)
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION visitor_consent(uuid, text, text)');
    await queryRunner.query('DROP FUNCTION visitor_phase(uuid, timestamptz, integer)');
    await queryRunner.query('DROP INDEX "stays_source_ref_key"');
    await queryRunner.query('DROP INDEX "social_identities_handle_key"');
    await queryRunner.query('DROP INDEX "social_identities_external_key"');
    await queryRunner.query('DROP INDEX "visitors_destination_email_key"');
    await queryRunner.query(
      'ALTER TABLE "visitor_records" DROP CONSTRAINT "FK_50030ddee70a053ef9d04549d28"',
    );
    await queryRunner.query(
      'ALTER TABLE "suppressions" DROP CONSTRAINT "FK_c47e7b44dcd1f17bb59c2b23890"',
    );
    await queryRunner.query(
      'ALTER TABLE "social_identities" DROP CONSTRAINT "FK_d26b9f824709d6e24abeaaf0b7f"',
    );
    await queryRunner.query(
      'ALTER TABLE "social_identities" DROP CONSTRAINT "FK_6989dcc91d612da4824ac0eb4b7"',
    );
    await queryRunner.query(
      'ALTER TABLE "consents" DROP CONSTRAINT "FK_ffb9b41f35835986521ff060d3b"',
    );
    await queryRunner.query(
      'ALTER TABLE "consents" DROP CONSTRAINT "FK_15ba335f10cc917f941641021ad"',
    );
    await queryRunner.query('ALTER TABLE "stays" DROP CONSTRAINT "FK_55c970848e48c024d8e16ae0cf7"');
    await queryRunner.query('ALTER TABLE "stays" DROP CONSTRAINT "FK_535f9f396ad7d31fd4528dedcc8"');
    await queryRunner.query('ALTER TABLE "stays" DROP CONSTRAINT "FK_ef9fb7a93b1440a6d67c0b25509"');
    await queryRunner.query(
      'ALTER TABLE "visitor_interests" DROP CONSTRAINT "FK_7a7288f64fb77082f4800879980"',
    );
    await queryRunner.query(
      'ALTER TABLE "visitor_interests" DROP CONSTRAINT "FK_083a223cfc77539b9a5d9a2d55e"',
    );
    await queryRunner.query(
      'ALTER TABLE "visitor_interests" DROP CONSTRAINT "FK_83f3d757cc0a2d278ae671c48ee"',
    );
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" DROP CONSTRAINT "FK_4a5d23fedee881c3c7d4a0cd035"',
    );
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" DROP CONSTRAINT "FK_ad0668bd50bfadfeb582706d8d0"',
    );
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" DROP CONSTRAINT "FK_e32c9553995fadc78bb9370fa7d"',
    );
    await queryRunner.query(
      'ALTER TABLE "visitors" DROP CONSTRAINT "FK_2a5628bddbb946948e4d273a121"',
    );
    await queryRunner.query('ALTER TABLE "destinations" DROP COLUMN "secret_salt"');
    await queryRunner.query('ALTER TABLE "destinations" DROP COLUMN "after_stay_days"');
    await queryRunner.query('DROP INDEX "public"."IDX_ab209125f00833a72da7f37a49"');
    await queryRunner.query('DROP TABLE "visitor_records"');
    await queryRunner.query('DROP TYPE "public"."visitor_record_kind"');
    await queryRunner.query('DROP INDEX "public"."IDX_95b7abaf1f6350ec3f22886318"');
    await queryRunner.query('DROP TABLE "suppressions"');
    await queryRunner.query('DROP INDEX "public"."IDX_d26b9f824709d6e24abeaaf0b7"');
    await queryRunner.query('DROP TABLE "social_identities"');
    await queryRunner.query('DROP TYPE "public"."social_provider"');
    await queryRunner.query('DROP INDEX "public"."IDX_37a4096e730a7ffc9e59e24e78"');
    await queryRunner.query('DROP TABLE "consents"');
    await queryRunner.query('DROP TYPE "public"."consent_purpose"');
    await queryRunner.query('DROP TYPE "public"."channel"');
    await queryRunner.query('DROP INDEX "public"."IDX_5cdbecfc476825a1bd9b59a6e2"');
    await queryRunner.query('DROP TABLE "stays"');
    await queryRunner.query('DROP TYPE "public"."stay_status"');
    await queryRunner.query('DROP INDEX "public"."IDX_de99a3ef5dd05150ca3875b9cc"');
    await queryRunner.query('DROP TABLE "visitor_interests"');
    await queryRunner.query('DROP INDEX "public"."IDX_2543463a40254c2ff9c6f283c8"');
    await queryRunner.query('DROP INDEX "public"."IDX_4a5d23fedee881c3c7d4a0cd03"');
    await queryRunner.query('DROP TABLE "interest_evidence"');
    await queryRunner.query('DROP TYPE "public"."evidence_kind"');
    await queryRunner.query('DROP INDEX "public"."IDX_645d5302f8d7127bdebfece846"');
    await queryRunner.query('DROP TABLE "visitors"');
  }
}
