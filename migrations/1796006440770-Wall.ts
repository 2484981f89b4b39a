import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Wall1796006440770 implements MigrationInterface {
  name = 'Wall1796006440770';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "interactions" ADD "moderated_by_id" uuid');
    await queryRunner.query(
      'CREATE INDEX "interactions_wall_approved" ON "interactions"  ("destination_id", "occurred_at", "id") WHERE wall_status = \'APPROVED\'',
    );
    await queryRunner.query(
      'ALTER TABLE "interactions" ADD CONSTRAINT "FK_d93080fb0913e72f9a890075a56" FOREIGN KEY ("moderated_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "interactions" DROP CONSTRAINT "FK_d93080fb0913e72f9a890075a56"',
    );
    await queryRunner.query('DROP INDEX "public"."interactions_wall_approved"');
    await queryRunner.query('ALTER TABLE "interactions" DROP COLUMN "moderated_by_id"');
  }
}
