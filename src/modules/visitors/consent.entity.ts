import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';
import { VisitorEntity } from './visitor.entity.js';

export enum Channel {
  EMAIL = 'EMAIL',
  TWITTER_DM = 'TWITTER_DM',
}
registerEnumType(Channel, { name: 'Channel' });

export enum ConsentPurpose {
  MARKETING = 'MARKETING',
  PROFILING = 'PROFILING',
}
registerEnumType(ConsentPurpose, { name: 'ConsentPurpose' });

/**
 * Append-only log: the current answer for (channel, purpose) is the newest record; no record
 * means no consent. Never updated, never deleted (but with the visitor, on erasure).
 */
@ObjectType('Consent')
@Entity('consents')
@Index(['visitorId', 'purpose', 'channel', 'recordedAt'])
export class ConsentEntity extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  visitorId: string;

  @ManyToOne(() => VisitorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  @Field(() => Channel, { nullable: true })
  @Column({ type: 'enum', enum: Channel, enumName: 'channel', nullable: true })
  channel: Channel | null;

  @Field(() => ConsentPurpose)
  @Column({ type: 'enum', enum: ConsentPurpose, enumName: 'consent_purpose' })
  purpose: ConsentPurpose;

  @Field()
  @Column('boolean')
  granted: boolean;

  @Field({ description: 'form, import, partner:<name>, unsubscribe-link ...' })
  @Column('text')
  source: string;

  @Field()
  @Column('timestamptz')
  recordedAt: Date;
}
