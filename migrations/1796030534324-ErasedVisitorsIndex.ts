import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ErasedVisitorsIndex1796030534324 implements MigrationInterface {
  name = 'ErasedVisitorsIndex1796030534324';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX "visitors_erased" ON "visitors" ("id") WHERE "erased_at" IS NOT NULL',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."visitors_erased"');
  }
}
