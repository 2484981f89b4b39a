import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import { InterestEntity } from './interest.entity.js';

/** Which interests a place speaks of (a market street → gastronomy): evidence for posts naming it. */
@Entity('place_interests')
export class PlaceInterestEntity extends TenantScopedEntity {
  @PrimaryColumn('uuid')
  placeId: string;

  @Index()
  @PrimaryColumn('uuid')
  interestId: string;

  @ManyToOne(() => PlaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'place_id' })
  place?: Relation<PlaceEntity>;

  @ManyToOne(() => InterestEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'interest_id' })
  interest?: Relation<InterestEntity>;
}
