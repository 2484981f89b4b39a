import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Segments1795673859310 implements MigrationInterface {
  name = 'Segments1795673859310';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "segments" ("destination_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "description" text, "filter" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_beff1eec19679fe8ad4f291f04e" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_2b648888d13640b4200a46601d" ON "segments"  ("destination_id", "name") ',
    );
    await queryRunner.query(
      'ALTER TABLE "segments" ADD CONSTRAINT "FK_435b2ed59ed3805bd8c8e529863" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "segments" DROP CONSTRAINT "FK_435b2ed59ed3805bd8c8e529863"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_2b648888d13640b4200a46601d"');
    await queryRunner.query('DROP TABLE "segments"');
  }
}
