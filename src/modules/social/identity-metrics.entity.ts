import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { TenantScopedChildEntity } from '../destinations/tenant-scoped.entity.js';
import { SocialIdentityEntity } from '../visitors/social-identity.entity.js';

/**
 * The public metrics of an account over time (followers, following, posts), one row per change
 * seen, keyed by the account and the time it was seen (two readings at the same instant: the
 * later wins): the Social Derby reads the values at the end of a period from here.
 */
@Entity('identity_metrics')
export class IdentityMetricsEntity extends TenantScopedChildEntity {
  @PrimaryColumn('uuid')
  identityId: string;

  @ManyToOne(() => SocialIdentityEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'identity_id' })
  identity?: Relation<SocialIdentityEntity>;

  @Column('integer', { nullable: true })
  followersCount: number | null;

  @Column('integer', { nullable: true })
  followingCount: number | null;

  @Column('integer', { nullable: true })
  postCount: number | null;

  @PrimaryColumn('timestamptz')
  recordedAt: Date;
}
