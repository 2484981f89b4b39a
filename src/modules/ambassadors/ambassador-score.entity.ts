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
 * (AmbassadorScoresService). One row per visitor who was ever active in the window; a visitor
 * who stops being active keeps a row at 0 / NONE (so the drop is a stored tier change).
 */
@Entity('ambassador_scores')
@Index(['destinationId', 'score', 'visitorId'])
export class AmbassadorScoreEntity extends TenantScopedEntity {
  @PrimaryColumn('uuid')
  visitorId: string;

  @ManyToOne(() => VisitorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  /** 0..100 */
  @Column('double precision')
  score: number;

  @Column({ type: 'enum', enum: AmbassadorTier, enumName: 'ambassador_tier' })
  tier: AmbassadorTier;

  /** Within the destination, 1 = best; null when not active in the window. */
  @Column('integer', { nullable: true })
  rank: number | null;

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
