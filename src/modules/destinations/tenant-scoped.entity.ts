import { Column, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { DestinationEntity } from './destination.entity.js';

/**
 * Every table but `destinations` belongs to one destination (the tenant) and goes with it.
 * Services filter on `destinationId` from the caller's AuthContext, never from an argument.
 */
export abstract class TenantScopedEntity {
  @Column('uuid')
  destinationId: string;

  @ManyToOne(() => DestinationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'destination_id' })
  destination?: Relation<DestinationEntity>;
}
