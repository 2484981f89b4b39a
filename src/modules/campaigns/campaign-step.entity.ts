import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { DurationScalar } from '../../common/scalars/scalars.js';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';
import { Channel } from '../visitors/consent.entity.js';
import { CampaignEntity } from './campaign.entity.js';

export enum StepAnchor {
  SEND_AT = 'SEND_AT',
  ARRIVAL = 'ARRIVAL',
  DEPARTURE = 'DEPARTURE',
  PROMOTION = 'PROMOTION',
}
registerEnumType(StepAnchor, { name: 'StepAnchor' });

@ObjectType('TemplateVariant')
export class TemplateVariant {
  @Field({ description: "The visitor's locale picks it; the destination's default otherwise" })
  locale: string;

  @Field(() => String, { nullable: true })
  subject: string | null;

  @Field({ description: 'Liquid: {{ visitor.firstName }}, {% for i in visitor.topInterests %}' })
  body: string;
}

/** One message of a campaign: a channel, a time relative to an anchor, a template per locale. */
@ObjectType('CampaignStep')
@Entity('campaign_steps')
@Index(['campaignId', 'position'], { unique: true })
export class CampaignStepEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  campaignId: string;

  @ManyToOne(() => CampaignEntity, (c) => c.steps, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'campaign_id' })
  campaign?: Relation<CampaignEntity>;

  /** Order of the steps as given at creation. */
  @Column('integer')
  position: number;

  @Field()
  @Column('text')
  name: string;

  @Field(() => Channel)
  @Column({ type: 'enum', enum: Channel, enumName: 'channel' })
  channel: Channel;

  @Field(() => StepAnchor)
  @Column({ type: 'enum', enum: StepAnchor, enumName: 'step_anchor' })
  anchor: StepAnchor;

  /** Signed ISO 8601, as given ("-P7D"). */
  @Field(() => DurationScalar, { description: 'From the anchor: -P7D is a week before arrival' })
  @Column('text')
  offset: string;

  @Field(() => String, {
    nullable: true,
    description: '"HH:MM" in the visitor\'s (else the destination\'s) time zone',
  })
  @Column('text', { nullable: true })
  localSendTime: string | null;

  @Field(() => [TemplateVariant])
  @Column('jsonb')
  variants: TemplateVariant[];
}
