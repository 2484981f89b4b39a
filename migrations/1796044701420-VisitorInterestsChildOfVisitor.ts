import type { MigrationInterface, QueryRunner } from 'typeorm';

export class VisitorInterestsChildOfVisitor1796044701420 implements MigrationInterface {
  name = 'VisitorInterestsChildOfVisitor1796044701420';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "visitor_interests" DROP CONSTRAINT "FK_83f3d757cc0a2d278ae671c48ee"',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "visitor_interests" ADD CONSTRAINT "FK_83f3d757cc0a2d278ae671c48ee" FOREIGN KEY ("destination_id") REFERENCES "destinations"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }
}
