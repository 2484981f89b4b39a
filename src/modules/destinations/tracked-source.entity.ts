import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { TenantScopedEntity } from './tenant-scoped.entity.js';

export enum TrackKind {
  HASHTAG = 'HASHTAG',
  MENTION = 'MENTION',
  ACCOUNT = 'ACCOUNT',
  QUERY = 'QUERY',
}
registerEnumType(TrackKind, { name: 'TrackKind' });

/** Something the social poller watches; the cursor is the last `since_id` committed. */
@ObjectType('TrackedSource')
@Entity('tracked_sources')
@Index(['destinationId', 'kind', 'normalizedValue'], { unique: true })
export class TrackedSourceEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field(() => TrackKind)
  @Column({ type: 'enum', enum: TrackKind, enumName: 'track_kind' })
  kind: TrackKind;

  @Field()
  @Column('text')
  value: string;

  /** Lower-cased value: #Rennes and #rennes are the same source. */
  @Column('text')
  normalizedValue: string;

  @Field()
  @Column('boolean', { default: true })
  active: boolean;

  @Field(() => Date, { nullable: true })
  @Column('timestamptz', { nullable: true })
  lastPolledAt: Date | null;

  @Field(() => String, { nullable: true, description: 'The newest post id committed (since_id)' })
  @Column('text', { nullable: true })
  cursor: string | null;

  /** Set after a 429: the source is not polled before this instant. */
  @Column('timestamptz', { nullable: true })
  pausedUntil: Date | null;

  /** Why the last poll of this source failed, if it did. */
  @Column('text', { nullable: true })
  lastError: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
