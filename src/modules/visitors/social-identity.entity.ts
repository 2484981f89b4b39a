import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';
import { VisitorEntity } from './visitor.entity.js';

export enum SocialProvider {
  TWITTER = 'TWITTER',
  INSTAGRAM = 'INSTAGRAM',
  FACEBOOK = 'FACEBOOK',
  TIKTOK = 'TIKTOK',
  OTHER = 'OTHER',
}
registerEnumType(SocialProvider, { name: 'SocialProvider' });

/**
 * An account on a social network. Belongs to at most one visitor per destination, by
 * (provider, externalId) and by (provider, lower(handle)) — see the partial unique indexes.
 */
@ObjectType('SocialIdentity')
@Entity('social_identities')
@Index(['visitorId'])
@Index('social_identities_external_key', { synchronize: false })
@Index('social_identities_handle_key', { synchronize: false })
export class SocialIdentityEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { nullable: true })
  visitorId: string | null;

  @ManyToOne(() => VisitorEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  @Field(() => SocialProvider)
  @Column({ type: 'enum', enum: SocialProvider, enumName: 'social_provider' })
  provider: SocialProvider;

  /** The network's id of the account; the handle alone when it is not known yet. */
  @Column('text', { nullable: true })
  externalId: string | null;

  /** Without '@'; matched case-insensitively. */
  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  handle: string | null;

  @Field(() => Int, { nullable: true })
  @Column('integer', { nullable: true })
  followersCount: number | null;

  @Field(() => Int, { nullable: true })
  @Column('integer', { nullable: true })
  followingCount: number | null;

  @Field(() => Int, { nullable: true })
  @Column('integer', { nullable: true })
  postCount: number | null;

  @Field(() => Date, { nullable: true })
  @Column('timestamptz', { nullable: true })
  lastSyncedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
