import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';

export enum VisitorRecordKind {
  MERGE = 'MERGE',
  ERASURE = 'ERASURE',
}

/**
 * What happened to visitors as a whole: merges (kept and merged ids) and erasures (the
 * anonymous row's id, no PII). Ids only: the audit trail must survive an erasure.
 */
@Entity('visitor_records')
@Index(['destinationId', 'visitorId'])
export class VisitorRecordEntity extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'enum', enum: VisitorRecordKind, enumName: 'visitor_record_kind' })
  kind: VisitorRecordKind;

  /** The kept visitor of a merge; the erased visitor. */
  @Column('uuid')
  visitorId: string;

  /** The merged (deleted) visitor of a merge. */
  @Column('uuid', { nullable: true })
  otherVisitorId: string | null;

  /** The user or API key that did it. */
  @Column('text')
  actor: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;
}
