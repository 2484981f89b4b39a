import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Field, Float, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { TenantScopedEntity } from './tenant-scoped.entity.js';

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
@Index(['destinationId'])
@Index('places_destination_name_key', { synchronize: false }) // unique on lower(name), see migration
@Index('places_destination_handle_key', { synchronize: false }) // unique on lower(handle)
export class PlaceEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

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
