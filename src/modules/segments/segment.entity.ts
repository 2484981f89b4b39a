import { Field, ID, ObjectType } from '@nestjs/graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { JSONScalar } from '../../common/scalars/scalars.js';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';
import type { NormalizedFilter } from './segment-filter.compiler.js';

/**
 * A saved segment: a name and a validated, normalised filter (segment-filter.compiler.ts). Its
 * members are never stored: `size` and `visitors` run the filter live (SegmentsResolver).
 */
@ObjectType('Segment')
@Entity('segments')
@Index(['destinationId', 'name'], { unique: true })
export class SegmentEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column('text')
  name: string;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  description: string | null;

  @Field(() => JSONScalar, {
    description: 'The filter as stored: validated, values canonical, empty fields dropped',
  })
  @Column('jsonb')
  filter: NormalizedFilter;

  @Field()
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
