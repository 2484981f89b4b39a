import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Journeys1796006965764 implements MigrationInterface {
  name = 'Journeys1796006965764';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TYPE \"public\".\"campaign_kind\" AS ENUM('BROADCAST', 'STAY_JOURNEY', 'AMBASSADOR_PROMOTED')",
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"campaign_status\" AS ENUM('DRAFT', 'ACTIVE', 'PAUSED', 'COMPLETED', 'ARCHIVED')",
    );
    await queryRunner.query(
      'CREATE TABLE "campaigns" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "kind" "public"."campaign_kind" NOT NULL, "status" "public"."campaign_status" NOT NULL DEFAULT \'DRAFT\', "segment_id" uuid, "send_at" TIMESTAMP WITH TIME ZONE, "frequency_cap_per_week" integer, "activated_at" TIMESTAMP WITH TIME ZONE, "activation_done_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_831e3fcd4fc45b4e4c3f57a9ee4" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_bf4bb7f84cba247abd84bab30b" ON "campaigns"  ("destination_id", "status") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"step_anchor\" AS ENUM('SEND_AT', 'ARRIVAL', 'DEPARTURE', 'PROMOTION')",
    );
    await queryRunner.query(
      'CREATE TABLE "campaign_steps" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "campaign_id" uuid NOT NULL, "position" integer NOT NULL, "name" text NOT NULL, "channel" "public"."channel" NOT NULL, "anchor" "public"."step_anchor" NOT NULL, "offset" text NOT NULL, "local_send_time" text, "variants" jsonb NOT NULL, CONSTRAINT "PK_24024ac45f2f7b295f325bc14a2" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_6ef6c8aab0b0b1d5915f46675a" ON "campaign_steps"  ("campaign_id", "position") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"message_status\" AS ENUM('SCHEDULED', 'QUEUED', 'SENDING', 'SENT', 'FAILED', 'SUPPRESSED', 'CANCELLED')",
    );
    await queryRunner.query(
      'CREATE TABLE "messages" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "campaign_id" uuid NOT NULL, "step_id" uuid NOT NULL, "visitor_id" uuid NOT NULL, "stay_id" uuid, "occurrence" text NOT NULL DEFAULT \'\', "channel" "public"."channel" NOT NULL, "status" "public"."message_status" NOT NULL, "scheduled_at" TIMESTAMP WITH TIME ZONE NOT NULL, "claimed_at" TIMESTAMP WITH TIME ZONE, "sent_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT \'0\', "last_error" text, "suppression_reason" text, "provider_message_id" text, "locale" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_3157e1b06b25ecc71d850dbb8a" ON "messages"  ("stay_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_cb0dc596ea195ca585aef1bc45" ON "messages"  ("visitor_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_350a540bf5a498f8e5db45b9ae" ON "messages"  ("campaign_id", "status") ',
    );
    await queryRunner.query(
      'CREATE INDEX "messages_due" ON "messages"  ("status", "scheduled_at") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "messages_occurrence_key" ON "messages"  ("step_id", "visitor_id", "occurrence") ',
    );
    await queryRunner.query(
      'ALTER TABLE "campaigns" ADD CONSTRAINT "FK_c496ab3bf69daeea57f97467e12" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "campaigns" ADD CONSTRAINT "FK_4d0f69a23f991dbd8fdc60a27bb" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "campaign_steps" ADD CONSTRAINT "FK_734ecb94a217890b54c15244502" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "campaign_steps" ADD CONSTRAINT "FK_499d4a88839934017b5a7d3d986" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "messages" ADD CONSTRAINT "FK_db54e1c2fcb742fd751d03774b0" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "messages" ADD CONSTRAINT "FK_7ee9933e7f3d3f6c5a4cfeb154b" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "messages" ADD CONSTRAINT "FK_c876e7eab12bd7f65dbe978ac93" FOREIGN KEY ("step_id") REFERENCES "campaign_steps"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "messages" ADD CONSTRAINT "FK_7655793374761c5f801234fcd3a" FOREIGN KEY ("visitor_id") REFERENCES "visitors"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "messages" ADD CONSTRAINT "FK_3157e1b06b25ecc71d850dbb8a1" FOREIGN KEY ("stay_id") REFERENCES "stays"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "messages" DROP CONSTRAINT "FK_3157e1b06b25ecc71d850dbb8a1"',
    );
    await queryRunner.query(
      'ALTER TABLE "messages" DROP CONSTRAINT "FK_7655793374761c5f801234fcd3a"',
    );
    await queryRunner.query(
      'ALTER TABLE "messages" DROP CONSTRAINT "FK_c876e7eab12bd7f65dbe978ac93"',
    );
    await queryRunner.query(
      'ALTER TABLE "messages" DROP CONSTRAINT "FK_7ee9933e7f3d3f6c5a4cfeb154b"',
    );
    await queryRunner.query(
      'ALTER TABLE "messages" DROP CONSTRAINT "FK_db54e1c2fcb742fd751d03774b0"',
    );
    await queryRunner.query(
      'ALTER TABLE "campaign_steps" DROP CONSTRAINT "FK_499d4a88839934017b5a7d3d986"',
    );
    await queryRunner.query(
      'ALTER TABLE "campaign_steps" DROP CONSTRAINT "FK_734ecb94a217890b54c15244502"',
    );
    await queryRunner.query(
      'ALTER TABLE "campaigns" DROP CONSTRAINT "FK_4d0f69a23f991dbd8fdc60a27bb"',
    );
    await queryRunner.query(
      'ALTER TABLE "campaigns" DROP CONSTRAINT "FK_c496ab3bf69daeea57f97467e12"',
    );
    await queryRunner.query('DROP INDEX "public"."messages_occurrence_key"');
    await queryRunner.query('DROP INDEX "public"."messages_due"');
    await queryRunner.query('DROP INDEX "public"."IDX_350a540bf5a498f8e5db45b9ae"');
    await queryRunner.query('DROP INDEX "public"."IDX_cb0dc596ea195ca585aef1bc45"');
    await queryRunner.query('DROP INDEX "public"."IDX_3157e1b06b25ecc71d850dbb8a"');
    await queryRunner.query('DROP TABLE "messages"');
    await queryRunner.query('DROP TYPE "public"."message_status"');
    await queryRunner.query('DROP INDEX "public"."IDX_6ef6c8aab0b0b1d5915f46675a"');
    await queryRunner.query('DROP TABLE "campaign_steps"');
    await queryRunner.query('DROP TYPE "public"."step_anchor"');
    await queryRunner.query('DROP INDEX "public"."IDX_bf4bb7f84cba247abd84bab30b"');
    await queryRunner.query('DROP TABLE "campaigns"');
    await queryRunner.query('DROP TYPE "public"."campaign_status"');
    await queryRunner.query('DROP TYPE "public"."campaign_kind"');
  }
}
