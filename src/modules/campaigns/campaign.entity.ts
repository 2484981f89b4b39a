import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';
import { SegmentEntity } from '../segments/segment.entity.js';
import { CampaignStepEntity } from './campaign-step.entity.js';

export enum CampaignKind {
  BROADCAST = 'BROADCAST',
  STAY_JOURNEY = 'STAY_JOURNEY',
  AMBASSADOR_PROMOTED = 'AMBASSADOR_PROMOTED',
}
registerEnumType(CampaignKind, { name: 'CampaignKind' });

export enum CampaignStatus {
  DRAFT = 'DRAFT',
  ACTIVE = 'ACTIVE',
  PAUSED = 'PAUSED',
  COMPLETED = 'COMPLETED',
  ARCHIVED = 'ARCHIVED',
}
registerEnumType(CampaignStatus, { name: 'CampaignStatus' });

/**
 * A campaign: who (a saved segment, or everyone), what (its steps) and when (its kind's anchor).
 * Steps are frozen once ACTIVE: a change would leave scheduled messages out of step with it.
 */
@ObjectType('Campaign')
@Entity('campaigns')
@Index(['destinationId', 'status'])
export class CampaignEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column('text')
  name: string;

  @Field(() => CampaignKind)
  @Column({ type: 'enum', enum: CampaignKind, enumName: 'campaign_kind' })
  kind: CampaignKind;

  @Field(() => CampaignStatus)
  @Column({
    type: 'enum',
    enum: CampaignStatus,
    enumName: 'campaign_status',
    default: CampaignStatus.DRAFT,
  })
  status: CampaignStatus;

  /** No segment: every visitor of the destination. */
  @Column('uuid', { nullable: true })
  segmentId: string | null;

  @ManyToOne(() => SegmentEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'segment_id' })
  segment?: Relation<SegmentEntity>;

  @Field(() => Date, { nullable: true, description: 'BROADCAST: the SEND_AT anchor' })
  @Column('timestamptz', { nullable: true })
  sendAt: Date | null;

  @Field(() => Int, { nullable: true, description: 'Per visitor, across campaigns' })
  @Column('integer', { nullable: true })
  frequencyCapPerWeek: number | null;

  @OneToMany(() => CampaignStepEntity, (step) => step.campaign)
  steps?: Relation<CampaignStepEntity>[];

  /** When it last became ACTIVE: events before it are covered by the activation scan. */
  @Column('timestamptz', { nullable: true })
  activatedAt: Date | null;

  /** When the activation scan reached the end of the segment (a broadcast completes after it). */
  @Column('timestamptz', { nullable: true })
  activationDoneAt: Date | null;

  @Field()
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
