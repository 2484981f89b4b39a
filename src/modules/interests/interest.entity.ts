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
import { Field, ID, ObjectType } from '@nestjs/graphql';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';

/** A node of the destination's interest taxonomy (gastronomy, heritage, nightlife...). */
@ObjectType('Interest')
@Entity('interests')
@Index(['destinationId', 'slug'], { unique: true })
@Index('interests_destination_bit', { synchronize: false }) // unique (destination_id, bit)
export class InterestEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column('text')
  slug: string;

  /** Label per locale: {"fr": "Gastronomie", "en": "Food and drink"}. */
  @Column('jsonb', { default: () => "'{}'" })
  labels: Record<string, string>;

  @Field(() => [String], {
    description: 'Words and phrases, any language, matched on normalised text',
  })
  @Column('text', { array: true, default: () => "'{}'" })
  keywords: string[];

  @Field(() => [String], { description: "Without '#'" })
  @Column('text', { array: true, default: () => "'{}'" })
  hashtags: string[];

  @Column('uuid', { nullable: true })
  parentId: string | null;

  /**
   * Its bit in `segment_facts.interest_bits` (0–63, the lowest free one of the destination),
   * assigned by the database at insert; NULL beyond 64 interests (migration SegmentFacts).
   */
  @Column({ type: 'smallint', nullable: true, select: false, insert: false, update: false })
  bit?: number | null;

  @ManyToOne(() => InterestEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'parent_id' })
  parent?: Relation<InterestEntity>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
