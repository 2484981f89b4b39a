import type { MigrationInterface, QueryRunner } from 'typeorm';

export class StayOwner1796006391668 implements MigrationInterface {
  name = 'StayOwner1796006391668';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "stays" ADD "owner_api_key_id" uuid');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "stays" DROP COLUMN "owner_api_key_id"');
  }
}
