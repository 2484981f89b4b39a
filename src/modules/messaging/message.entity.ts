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
import { CampaignStepEntity } from '../campaigns/campaign-step.entity.js';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';
import { StayEntity } from '../stays/stay.entity.js';
import { Channel } from '../visitors/consent.entity.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';

export enum MessageStatus {
  SCHEDULED = 'SCHEDULED',
  QUEUED = 'QUEUED',
  /** Claimed by a worker; internal, reads as QUEUED in the API. */
  SENDING = 'SENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
  SUPPRESSED = 'SUPPRESSED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(MessageStatus, {
  name: 'MessageStatus',
  valuesMap: { SENDING: { description: 'A worker is sending it (counted as QUEUED in stats)' } },
});

/**
 * The outbox: one row per (step, visitor, occurrence) is the truth; its BullMQ job (jobId = id)
 * only wakes a worker up at `scheduledAt` and can be rebuilt from here by the reconciler.
 * `occurrence` is what makes the message unique besides step and visitor: the stay id (journeys),
 * the ambassador change id (promotions), '' for a broadcast.
 */
@ObjectType('Message')
@Entity('messages')
@Index('messages_occurrence_key', ['stepId', 'visitorId', 'occurrence'], { unique: true })
@Index('messages_due', ['status', 'scheduledAt'])
@Index(['campaignId', 'status'])
@Index(['visitorId', 'createdAt'])
@Index(['stayId'])
export class MessageEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  campaignId: string;

  @ManyToOne(() => CampaignEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'campaign_id' })
  campaign?: Relation<CampaignEntity>;

  @Column('uuid')
  stepId: string;

  @ManyToOne(() => CampaignStepEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'step_id' })
  step?: Relation<CampaignStepEntity>;

  @Column('uuid')
  visitorId: string;

  @ManyToOne(() => VisitorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  @Column('uuid', { nullable: true })
  stayId: string | null;

  @ManyToOne(() => StayEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'stay_id' })
  stay?: Relation<StayEntity>;

  @Column('text', { default: '' })
  occurrence: string;

  @Field(() => Channel)
  @Column({ type: 'enum', enum: Channel, enumName: 'channel' })
  channel: Channel;

  @Field(() => MessageStatus)
  @Column({ type: 'enum', enum: MessageStatus, enumName: 'message_status' })
  status: MessageStatus;

  @Field()
  @Column('timestamptz')
  scheduledAt: Date;

  /** When a worker claimed it (SENDING): the reconciler returns stale claims to QUEUED. */
  @Column('timestamptz', { nullable: true })
  claimedAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column('timestamptz', { nullable: true })
  sentAt: Date | null;

  @Field(() => Int)
  @Column('integer', { default: 0 })
  attempts: number;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  lastError: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  suppressionReason: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  providerMessageId: string | null;

  /** The variant's locale it was rendered in. */
  @Column('text', { nullable: true })
  locale: string | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
