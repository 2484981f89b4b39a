import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InterestEvidenceNaturalKey1796032871952 implements MigrationInterface {
  name = 'InterestEvidenceNaturalKey1796032871952';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_2543463a40254c2ff9c6f283c8"');
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" DROP CONSTRAINT "PK_671ddf0750b551388c64cc3467f"',
    );
    await queryRunner.query('ALTER TABLE "interest_evidence" DROP COLUMN "id"');
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" ADD CONSTRAINT "PK_2543463a40254c2ff9c6f283c83" PRIMARY KEY ("visitor_id", "interest_id", "kind", "source_id")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" DROP CONSTRAINT "PK_2543463a40254c2ff9c6f283c83"',
    );
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" ADD "id" uuid NOT NULL DEFAULT gen_random_uuid()',
    );
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" ADD CONSTRAINT "PK_671ddf0750b551388c64cc3467f" PRIMARY KEY ("id")',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_2543463a40254c2ff9c6f283c8" ON "interest_evidence" USING btree ("visitor_id", "interest_id", "kind", "source_id")',
    );
  }
}
