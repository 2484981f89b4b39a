import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';
import { AmbassadorTier } from '../segments/segment-filter.input.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';

/**
 * A visitor's current ambassador score, written only by the set-based recompute
 * (AmbassadorScoresService). One row per visitor active in the window; a visitor who stops being
 * active loses the row (no row = NONE / 0), after a stored tier change to NONE. The rank comes
 * from `ambassador_ranks` through the score.
 */
@Entity('ambassador_scores')
@Index(['destinationId', 'score', 'visitorId'])
export class AmbassadorScoreEntity extends TenantScopedEntity {
  @PrimaryColumn('uuid')
  visitorId: string;

  // No foreign key: its check locks every visitor row a recompute writes for, which was 40% of
  // a first recompute at 1M visitors. The visitors module's merge and erasure events move or
  // delete these rows in their transaction, and a recompute drops the scores of anyone inactive.
  @ManyToOne(() => VisitorEntity, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  /** 0..100 */
  @Column('double precision')
  score: number;

  @Column({ type: 'enum', enum: AmbassadorTier, enumName: 'ambassador_tier' })
  tier: AmbassadorTier;

  /** Each component is a percentile rank (0..1) within the destination's active visitors. */
  @Column('double precision')
  reach: number;

  @Column('double precision')
  ratio: number;

  @Column('double precision')
  amplification: number;

  @Column('double precision')
  engagement: number;

  @Column('double precision')
  activity: number;

  @Column('double precision')
  sentiment: number;

  @Column('double precision')
  recency: number;

  /** Destination posts in the window (the AMBASSADOR tier needs a minimum). */
  @Column('integer')
  posts: number;

  /** When these values were last computed (an unchanged row is not rewritten). */
  @Column('timestamptz')
  computedAt: Date;
}
