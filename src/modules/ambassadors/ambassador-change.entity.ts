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
import { AmbassadorTier } from '../segments/segment-filter.input.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';

/** One tier change of one visitor (the history): written by the recompute that saw it. */
@Entity('ambassador_changes')
@Index(['destinationId', 'at', 'id'])
@Index(['visitorId', 'at'])
export class AmbassadorChangeEntity extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  visitorId: string;

  // No foreign key: its check locks every visitor row a recompute writes for, which was 40% of
  // a first recompute at 1M visitors. The visitors module's merge and erasure events move or
  // delete these rows in their transaction, and a recompute drops the scores of anyone inactive.
  @ManyToOne(() => VisitorEntity, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'visitor_id' })
  visitor?: Relation<VisitorEntity>;

  @Column({ type: 'enum', enum: AmbassadorTier, enumName: 'ambassador_tier' })
  fromTier: AmbassadorTier;

  @Column({ type: 'enum', enum: AmbassadorTier, enumName: 'ambassador_tier' })
  toTier: AmbassadorTier;

  /** The score that made the change. */
  @Column('double precision')
  score: number;

  @Column('timestamptz')
  at: Date;
}
