import type { StayStatus } from './stay.entity.js';

/**
 * Domain events of the stays module, for the campaigns module (reschedule or cancel a visitor's
 * stay-journey messages) and anyone else who reacts to bookings.
 *
 * Choice: the in-process bus of @nestjs/event-emitter (configured once in AppModule), not a queue.
 * - Emitted with `emitAsync` and awaited, AFTER the transaction has committed: a listener never
 *   sees a booking that is then rolled back, and reads the committed row if it needs more.
 * - Emitted only when something changed: a booking re-sent identically emits nothing, a second
 *   `cancelStay` emits nothing.
 * - At most once, in the process that served the request. A listener that throws does not undo
 *   the booking (it is committed) and does not fail the partner's request: StaysService logs the
 *   error. Listeners must therefore be idempotent and cheap (compute and write rows, enqueue
 *   BullMQ jobs); anything durable they need must be recoverable from PostgreSQL (the stays
 *   table is the source of truth), e.g. by the campaigns' activation scan.
 * - A merge moves stays to the kept visitor without STAY_CHANGED: listen to `visitor.merging`.
 */
export const StayEvents = {
  /** StayChangedEvent — a stay was created, or changed (dates, visitor, place, party, re-booked). */
  CHANGED: 'stay.changed',
  /** StayCancelledEvent — a stay went to CANCELLED. */
  CANCELLED: 'stay.cancelled',
} as const;

/** Aliases with the names the issues use. */
export const STAY_CHANGED = StayEvents.CHANGED;
export const STAY_CANCELLED = StayEvents.CANCELLED;

/** What a stay was before the change (absent on creation). */
export interface StaySnapshot {
  visitorId: string;
  arrivalAt: Date;
  departureAt: Date;
  status: StayStatus;
}

export interface StayChangedEvent extends StaySnapshot {
  destinationId: string;
  stayId: string;
  /** The stay before this upsert; undefined when the upsert created it. */
  previous?: StaySnapshot;
}

export interface StayCancelledEvent extends StaySnapshot {
  destinationId: string;
  stayId: string;
  /** The stay before the cancellation (its status was BOOKED or COMPLETED). */
  previous: StaySnapshot;
}
