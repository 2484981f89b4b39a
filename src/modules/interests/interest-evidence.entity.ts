import { registerEnumType } from '@nestjs/graphql';
import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { TenantScopedChildEntity } from '../destinations/tenant-scoped.entity.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';
import { InterestEntity } from './interest.entity.js';

export enum EvidenceKind {
  HASHTAG = 'HASHTAG',
  KEYWORD = 'KEYWORD',
  PLACE = 'PLACE',
  DECLARED = 'DECLARED',
  STAY = 'STAY',
}
registerEnumType(EvidenceKind, { name: 'EvidenceKind' });

/**
 * One reason to believe a visitor cares about an interest. Keyed by (visitor, interest, kind,
 * source) so that re-reading the same post or re-declaring the same interest counts once. No
 * surrogate id: nothing refers to a piece, and a random uuid's index cost as much as the rest of
 * the row's writes on the ingest path.
 */
@Entity('interest_evidence')
@Index(['interestId'])
export class InterestEvidenceEntity extends TenantScopedChildEntity {
  @PrimaryColumn('uuid')
  visitorId: string;

  @ManyToOne(() => VisitorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  @PrimaryColumn('uuid')
  interestId: string;

  @ManyToOne(() => InterestEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'interest_id' })
  interest?: Relation<InterestEntity>;

  @PrimaryColumn({ type: 'enum', enum: EvidenceKind, enumName: 'evidence_kind' })
  kind: EvidenceKind;

  @Column('double precision')
  weight: number;

  /** What it came from: an interaction id, a stay id, 'declared'... */
  @PrimaryColumn('text')
  sourceId: string;

  @Column('timestamptz')
  occurredAt: Date;
}
