import {
  Column,
  JoinColumn,
  ManyToOne,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { Field, Float, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DestinationEntity } from './destination.entity.js';

export enum PlaceKind {
  STREET = 'STREET',
  SQUARE = 'SQUARE',
  DISTRICT = 'DISTRICT',
  VENUE = 'VENUE',
  ATTRACTION = 'ATTRACTION',
  ACCOMMODATION = 'ACCOMMODATION',
  RESTAURANT = 'RESTAURANT',
  EVENT = 'EVENT',
  OTHER = 'OTHER',
}
registerEnumType(PlaceKind, { name: 'PlaceKind' });

@ObjectType('Place')
@Entity('places')
@Index('places_destination_name_key', { synchronize: false }) // unique on lower(name), see migration
@Index('places_destination_handle_key', { synchronize: false }) // unique on lower(handle)
export class PlaceEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column('uuid')
  destinationId: string;

  @ManyToOne(() => DestinationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'destination_id' })
  destination?: Relation<DestinationEntity>;

  @Field()
  @Column('text')
  name: string;

  @Field(() => PlaceKind)
  @Column({ type: 'enum', enum: PlaceKind, enumName: 'place_kind' })
  kind: PlaceKind;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  twitterHandle: string | null;

  @Field(() => Float, { nullable: true })
  @Column('double precision', { nullable: true })
  latitude: number | null;

  @Field(() => Float, { nullable: true })
  @Column('double precision', { nullable: true })
  longitude: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
