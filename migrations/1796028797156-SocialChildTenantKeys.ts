import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SocialChildTenantKeys1796028797156 implements MigrationInterface {
  name = 'SocialChildTenantKeys1796028797156';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" DROP CONSTRAINT "FK_e32c9553995fadc78bb9370fa7d"',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" DROP CONSTRAINT "FK_2a1ca35ab4c865072be9be2ce19"',
    );
    await queryRunner.query(
      'ALTER TABLE "interactions" DROP CONSTRAINT "FK_21400323287ad29ce7d9e2c8ef9"',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "interactions" ADD CONSTRAINT "FK_21400323287ad29ce7d9e2c8ef9" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "identity_metrics" ADD CONSTRAINT "FK_2a1ca35ab4c865072be9be2ce19" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "interest_evidence" ADD CONSTRAINT "FK_e32c9553995fadc78bb9370fa7d" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }
}
