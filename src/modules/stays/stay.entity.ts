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
import { PlaceEntity } from '../destinations/place.entity.js';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';

export enum StayStatus {
  BOOKED = 'BOOKED',
  CANCELLED = 'CANCELLED',
  COMPLETED = 'COMPLETED',
}
registerEnumType(StayStatus, { name: 'StayStatus' });

/** A booking. Idempotent on (source, externalRef) per destination: a partner may send it twice. */
@ObjectType('Stay')
@Entity('stays')
@Index(['visitorId', 'arrivalAt'])
@Index('stays_source_ref_key', { synchronize: false }) // unique (destination_id, source, external_ref) where external_ref is not null
@Index('stays_live_departure', { synchronize: false }) // (destination_id, departure_at) INCLUDE (arrival_at, visitor_id) where not cancelled: segments' stayOverlaps
export class StayEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  visitorId: string;

  @ManyToOne(() => VisitorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  @Field()
  @Column('timestamptz')
  arrivalAt: Date;

  @Field()
  @Column('timestamptz')
  departureAt: Date;

  @Column('uuid', { nullable: true })
  placeId: string | null;

  @ManyToOne(() => PlaceEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'place_id' })
  place?: Relation<PlaceEntity>;

  @Field(() => Int, { nullable: true })
  @Column('integer', { nullable: true })
  partySize: number | null;

  @Field(() => StayStatus)
  @Column({ type: 'enum', enum: StayStatus, enumName: 'stay_status', default: StayStatus.BOOKED })
  status: StayStatus;

  @Field()
  @Column('text')
  source: string;

  @Field(() => String, {
    nullable: true,
    description: "The partner's booking reference, unique per source",
  })
  @Column('text', { nullable: true })
  externalRef: string | null;

  /**
   * The API key that first sent this booking (null when office staff entered it). Another
   * partner's key may neither change nor cancel it, even with the same source and reference.
   */
  @Column('uuid', { nullable: true })
  ownerApiKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
