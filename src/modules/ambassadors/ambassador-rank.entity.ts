import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { DestinationEntity } from '../destinations/destination.entity.js';

/**
 * The rank of each score of a destination (1 + the active visitors scoring strictly higher: ties
 * share a rank), written by the recompute. Scores have 2 decimals, so a destination has at most
 * 10,001 rows here, however many visitors it scores: a visitor's rank is read through its score,
 * and one visitor moving up does not rewrite the rows of everyone below.
 */
@Entity('ambassador_ranks')
export class AmbassadorRankEntity {
  @PrimaryColumn('uuid')
  destinationId: string;

  @ManyToOne(() => DestinationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'destination_id' })
  destination?: Relation<DestinationEntity>;

  @PrimaryColumn('double precision')
  score: number;

  @Column('integer')
  rank: number;
}
