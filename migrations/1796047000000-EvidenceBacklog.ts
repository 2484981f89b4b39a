import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand. The ingest commits a batch's identities and interactions first, then derives
 * their interest evidence and scores in a transaction of its own (a poll commits the next batch's
 * interactions meanwhile, on another connection). A row here names the new interactions of a
 * committed batch whose evidence is not derived yet: written with them, deleted by the
 * transaction that writes their evidence. A process that dies in between leaves it, and the next
 * poll of the destination (or ingest of its partner posts) derives it: re-reading the posts would
 * not, since they are no longer new. No entity: only SocialIngestService reads it, by SQL.
 */
export class EvidenceBacklog1796047000000 implements MigrationInterface {
  name = 'EvidenceBacklog1796047000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "evidence_backlog" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "destination_id" uuid NOT NULL,
      "interaction_ids" uuid array NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "evidence_backlog_pkey" PRIMARY KEY ("id"),
      CONSTRAINT "evidence_backlog_destination_fkey" FOREIGN KEY ("destination_id")
        REFERENCES "destinations"("id") ON DELETE CASCADE)`);
    await queryRunner.query(
      'CREATE INDEX "evidence_backlog_destination" ON "evidence_backlog" ("destination_id", "created_at")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "evidence_backlog"');
  }
}
