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

/**
 * A row of the social pipeline's hottest writes (interactions, interest evidence, interest
 * scores, identity metrics): it has a non-null parent of the same destination (a social identity or a visitor)
 * whose foreign key cascades, so it goes with the destination through that parent. A foreign key
 * of its own to `destinations` would add a check per row (a lookup and a share lock of the
 * destination row) to every post ingested, for nothing: it cannot tell a wrong tenant from a right
 * one, only a missing one, and the tenant id is never taken from a caller.
 */
export abstract class TenantScopedChildEntity {
  @Column('uuid')
  destinationId: string;
}
