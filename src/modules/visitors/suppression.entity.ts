import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';

/**
 * Addresses never to import or message again (erased people, hard bounces, unsubscribes):
 * HMAC-SHA-256 of the normalised address with the destination's secret salt, never the address.
 */
@Entity('suppressions')
@Index(['destinationId', 'addressHash'], { unique: true })
export class SuppressionEntity extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  addressHash: string;

  /** erasure, bounce, unsubscribe... */
  @Column('text')
  reason: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
