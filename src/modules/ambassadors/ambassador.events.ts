/**
 * Domain events of the ambassadors module, defined before the module itself so that the
 * campaigns module (AMBASSADOR_PROMOTED campaigns) and the ambassadors module agree on one shape.
 *
 * Emitted on the in-process bus of @nestjs/event-emitter with `emitAsync`, after the
 * transaction that stored the tier change has committed, once per stored change: a recompute
 * that finds the same tier stores no change and emits nothing. Listeners must be idempotent
 * (the change id is a natural dedupe key) and cheap (write rows, enqueue jobs).
 */
export const AmbassadorEvents = {
  /** AmbassadorPromotedEvent — a visitor's tier went up to AMBASSADOR. */
  PROMOTED: 'ambassador.promoted',
} as const;

export interface AmbassadorPromotedEvent {
  destinationId: string;
  visitorId: string;
  /** The stored tier change (ambassador history row) that this promotion is. */
  changeId: string;
  /** Tier before the change: NONE, FAN or ADVOCATE. */
  fromTier: string;
  score: number;
  promotedAt: Date;
}
