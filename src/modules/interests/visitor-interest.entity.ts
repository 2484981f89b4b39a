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
import type { EvidenceKind } from './interest-evidence.entity.js';
import { InterestEntity } from './interest.entity.js';

/**
 * The materialised interest score of a visitor (0..1), derived from the evidence: refreshed when
 * evidence is added, and nightly for decay. Segments filter on it in SQL.
 */
@Entity('visitor_interests')
// (destination_id, interest_id, score) INCLUDE (visitor_id): segments' scores at a threshold,
// index-only (migration SegmentFacts).
@Index('visitor_interests_by_score', { synchronize: false })
export class VisitorInterestEntity extends TenantScopedChildEntity {
  @PrimaryColumn('uuid')
  visitorId: string;

  @PrimaryColumn('uuid')
  interestId: string;

  @ManyToOne(() => VisitorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  @ManyToOne(() => InterestEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'interest_id' })
  interest?: Relation<InterestEntity>;

  @Column('double precision')
  score: number;

  @Column('integer')
  evidenceCount: number;

  @Column('timestamptz')
  lastEvidenceAt: Date;

  /** The evidence kinds behind the score (text[]: one enum type per name in TypeORM). */
  @Column('text', { array: true })
  sources: EvidenceKind[];

  @Column('timestamptz')
  computedAt: Date;

  /**
   * Σ weight · 2^(−age / half-life) of the evidence at `computedAt` (score = 1 − e^(−sum)): what
   * new evidence is added to, exactly, also once the score rounds to 1 (a prolific account), where
   * it could no longer be read back from the score. Null when not known: the score is then
   * recomputed from the evidence the next time it is touched.
   */
  @Column('double precision', { nullable: true })
  evidenceSum: number | null;
}
