import { Field, ID, ObjectType } from '@nestjs/graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';

/**
 * Columns cached on the row by the database for segments (migration SegmentsPerformance): never
 * written by the application, not selected by default.
 */
const DERIVED = { select: false, insert: false, update: false } as const;

/**
 * A person known to the destination: a guest with a booking, a contact from an import, or a
 * social author not yet identified (tag `prospect`, no PII but the public handle). Erasure keeps
 * the row, without PII, so anonymous aggregates (interests, country, phase) still count it.
 */
@ObjectType('Visitor')
@Entity('visitors')
@Index(['destinationId', 'createdAt', 'id'])
@Index('visitors_destination_email_key', { synchronize: false }) // unique (destination_id, email) where email is not null
// The few erased rows, for reads that leave them out (a campaign's messages).
@Index('visitors_erased', ['id'], { where: '"erased_at" IS NOT NULL' })
export class VisitorEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Names, e-mail and phone are exposed through VisitorsResolver, by the caller's rights. */
  @Column('text', { nullable: true })
  firstName: string | null;

  @Column('text', { nullable: true })
  lastName: string | null;

  /** Normalised: trimmed, lower-case. Exposed through VisitorsResolver (masked for analysts). */
  @Column('text', { nullable: true })
  email: string | null;

  /** Exposed through VisitorsResolver (masked for analysts). */
  @Column('text', { nullable: true })
  phone: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  locale: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2' })
  @Column('text', { nullable: true })
  countryCode: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  timeZone: string | null;

  @Field(() => [String])
  @Column('text', { array: true, default: () => "'{}'" })
  tags: string[];

  /** Set by GDPR erasure: the row stays, anonymous, and is never shown or messaged again. */
  @Column('timestamptz', { nullable: true })
  erasedAt: Date | null;

  // Facts segments filter on, cached on the row by the database (see DERIVED).

  /** Interests scored >= STRONG_INTEREST_SCORE, kept by the interest score refresh. */
  @Column({ type: 'uuid', array: true, default: () => "'{}'", ...DERIVED })
  strongInterests?: string[];

  /** consent_key(channel, purpose) of each granted current consent (triggers on consents). */
  @Column({ type: 'text', array: true, default: () => "'{}'", ...DERIVED })
  grantedConsents?: string[];

  /** BOOKED stays, and departures of stays not cancelled: stay_phase()'s inputs (triggers). */
  @Column({ type: 'tstzmultirange', default: () => "'{}'", ...DERIVED })
  bookedStays?: string;

  @Column({ type: 'tstzmultirange', default: () => "'{}'", ...DERIVED })
  stayDepartures?: string;

  /** Millisecond precision: it is the page cursor's sort key, and a JS Date holds milliseconds. */
  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field()
  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
