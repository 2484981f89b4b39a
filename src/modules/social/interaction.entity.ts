import { Field, Float, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
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
import { UserEntity } from '../access/user.entity.js';
import { TenantScopedChildEntity } from '../destinations/tenant-scoped.entity.js';
import { SocialIdentityEntity, SocialProvider } from '../visitors/social-identity.entity.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';

export enum InteractionKind {
  POST = 'POST',
  REPLY = 'REPLY',
  MENTION = 'MENTION',
  RETWEET = 'RETWEET',
  QUOTE = 'QUOTE',
  LIKE = 'LIKE',
  DIRECT_MESSAGE = 'DIRECT_MESSAGE',
}
registerEnumType(InteractionKind, { name: 'InteractionKind' });

export enum WallStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}
registerEnumType(WallStatus, { name: 'WallStatus' });

/**
 * A trace someone left on a social network: a post, reply, mention, retweet, quote or like.
 * Unique on (destination, provider, externalId): re-reading a page updates, never duplicates.
 */
@ObjectType('Interaction')
@Entity('interactions')
@Index(['destinationId', 'provider', 'externalId'], { unique: true })
@Index(['destinationId', 'occurredAt', 'id'])
@Index(['visitorId', 'occurredAt'])
@Index(['authorIdentityId', 'occurredAt'])
@Index(['destinationId', 'referencedExternalId'])
// The showroom wall reads only approved posts, newest first (wall module).
@Index('interactions_wall_approved', ['destinationId', 'occurredAt', 'id'], {
  where: "wall_status = 'APPROVED'",
})
export class InteractionEntity extends TenantScopedChildEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field(() => SocialProvider)
  @Column({ type: 'enum', enum: SocialProvider, enumName: 'social_provider' })
  provider: SocialProvider;

  @Field()
  @Column('text')
  externalId: string;

  @Field(() => InteractionKind)
  @Column({ type: 'enum', enum: InteractionKind, enumName: 'interaction_kind' })
  kind: InteractionKind;

  /** Blanked by GDPR erasure. */
  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  text: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  lang: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  url: string | null;

  /** Millisecond precision: a page cursor's sort key. */
  @Field()
  @Column({ type: 'timestamptz', precision: 3 })
  occurredAt: Date;

  @Column('uuid')
  authorIdentityId: string;

  @ManyToOne(() => SocialIdentityEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'author_identity_id' })
  authorIdentity?: Relation<SocialIdentityEntity>;

  @Column('uuid', { nullable: true })
  visitorId: string | null;

  @ManyToOne(() => VisitorEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  @Column('integer', { default: 0 })
  likes: number;

  @Column('integer', { default: 0 })
  shares: number;

  @Column('integer', { default: 0 })
  replies: number;

  @Column('integer', { default: 0 })
  quotes: number;

  @Column('integer', { nullable: true })
  impressions: number | null;

  /** Without '#', as written. */
  @Field(() => [String])
  @Column('text', { array: true, default: () => "'{}'" })
  hashtags: string[];

  /** Handles without '@'. */
  @Field(() => [String])
  @Column('text', { array: true, default: () => "'{}'" })
  mentions: string[];

  /** Places of the destination the interaction names (by handle or name). */
  @Column('uuid', { array: true, default: () => "'{}'" })
  placeIds: string[];

  /** -1..1 */
  @Field(() => Float, { nullable: true })
  @Column('double precision', { nullable: true })
  sentiment: number | null;

  /** The post this one replies to. */
  @Column('text', { nullable: true })
  inReplyToExternalId: string | null;

  /** The original post of a retweet, quote or reply: its author is credited (amplification). */
  @Column('text', { nullable: true })
  referencedExternalId: string | null;

  @Column('boolean', { default: false })
  possiblySensitive: boolean;

  /** Null: not a wall candidate. */
  @Column({ type: 'enum', enum: WallStatus, enumName: 'wall_status', nullable: true })
  wallStatus: WallStatus | null;

  /** Last wall moderation; null with a status set means decided at ingest (sensitive, blocklist). */
  @Column('timestamptz', { nullable: true })
  moderatedAt: Date | null;

  /** The user who last moderated the post on the wall. */
  @Column('uuid', { nullable: true })
  moderatedById: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'moderated_by_id' })
  moderatedBy?: Relation<UserEntity>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
