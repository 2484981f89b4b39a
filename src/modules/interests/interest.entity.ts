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

  @ManyToOne(() => InterestEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'parent_id' })
  parent?: Relation<InterestEntity>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
