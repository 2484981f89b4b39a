import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, type Relation } from 'typeorm';
import { DestinationEntity } from '../destinations/destination.entity.js';

/**
 * How one destination scores its ambassadors. No row = the defaults below (AMBASSADOR_DEFAULTS).
 * Weights are relative: the score divides by their sum.
 */
@Entity('ambassador_settings')
export class AmbassadorSettingsEntity {
  @PrimaryColumn('uuid')
  destinationId: string;

  @OneToOne(() => DestinationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'destination_id' })
  destination?: Relation<DestinationEntity>;

  @Column('double precision', { default: 0.15 })
  reachWeight: number;

  @Column('double precision', { default: 0.1 })
  ratioWeight: number;

  @Column('double precision', { default: 0.2 })
  amplificationWeight: number;

  @Column('double precision', { default: 0.15 })
  engagementWeight: number;

  @Column('double precision', { default: 0.2 })
  activityWeight: number;

  @Column('double precision', { default: 0.1 })
  sentimentWeight: number;

  @Column('double precision', { default: 0.1 })
  recencyWeight: number;

  @Column('double precision', { default: 25 })
  fanThreshold: number;

  @Column('double precision', { default: 50 })
  advocateThreshold: number;

  @Column('double precision', { default: 75 })
  ambassadorThreshold: number;

  /** Destination posts in the window that the AMBASSADOR tier needs. */
  @Column('integer', { default: 3 })
  ambassadorMinPosts: number;

  @Column('integer', { default: 90 })
  windowDays: number;

  /** followers / following above this counts as this (a bought-followers account is no better). */
  @Column('double precision', { default: 10 })
  ratioCap: number;

  /** Recency halves every this many days since the last post. */
  @Column('double precision', { default: 14 })
  recencyHalfLifeDays: number;

  /** When the last recompute ran (a score's computedAt is when its values last changed). */
  @Column('timestamptz', { nullable: true })
  lastComputedAt: Date | null;
}
