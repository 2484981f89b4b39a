import {
  Column,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { DestinationEntity } from '../destinations/destination.entity.js';

/** One row per destination: how polling went (ingestionStatus). */
@Entity('ingestion_states')
export class IngestionStateEntity {
  @PrimaryColumn('uuid')
  destinationId: string;

  @ManyToOne(() => DestinationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'destination_id' })
  destination?: Relation<DestinationEntity>;

  @Column('timestamptz', { nullable: true })
  lastRunAt: Date | null;

  @Column('text', { nullable: true })
  lastError: string | null;

  /** Set while the social API has told us to wait (429). */
  @Column('timestamptz', { nullable: true })
  rateLimitResetAt: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
