import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { TenantScopedChildEntity } from '../destinations/tenant-scoped.entity.js';
import { SocialIdentityEntity } from '../visitors/social-identity.entity.js';

/**
 * The public metrics of an account over time (followers, following, posts), one row per change
 * seen: the Social Derby reads the values at the end of a period from here.
 */
@Entity('identity_metrics')
@Index(['identityId', 'recordedAt'])
export class IdentityMetricsEntity extends TenantScopedChildEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
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

  @Column('timestamptz')
  recordedAt: Date;
}
