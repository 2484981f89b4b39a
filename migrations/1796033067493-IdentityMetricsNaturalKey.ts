import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdentityMetricsNaturalKey1796033067493 implements MigrationInterface {
  name = 'IdentityMetricsNaturalKey1796033067493';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_e01421b0ab0aeb905b3aa4d608"');
    // Two readings of an account at the same instant (a fixed clock): one is kept.
    await queryRunner.query(
      `DELETE FROM "identity_metrics" a USING "identity_metrics" b
        WHERE a.identity_id = b.identity_id AND a.recorded_at = b.recorded_at AND a.id < b.id`,
    );
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" DROP CONSTRAINT "PK_db8854c0770a8e4191af1458831"',
    );
    await queryRunner.query('ALTER TABLE "identity_metrics" DROP COLUMN "id"');
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" ADD CONSTRAINT "PK_e01421b0ab0aeb905b3aa4d6089" PRIMARY KEY ("identity_id", "recorded_at")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" DROP CONSTRAINT "PK_e01421b0ab0aeb905b3aa4d6089"',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" ADD "id" uuid NOT NULL DEFAULT gen_random_uuid()',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" ADD CONSTRAINT "PK_db8854c0770a8e4191af1458831" PRIMARY KEY ("id")',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_e01421b0ab0aeb905b3aa4d608" ON "identity_metrics" USING btree ("identity_id", "recorded_at")',
    );
  }
}
