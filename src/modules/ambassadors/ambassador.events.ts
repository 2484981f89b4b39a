/**
 * Domain events of the ambassadors module, defined before the module itself so that the
 * campaigns module (AMBASSADOR_PROMOTED campaigns) and the ambassadors module agree on one shape.
 *
 * Emitted on the in-process bus of @nestjs/event-emitter with `emitAsync`, after the
 * transaction that stored the tier changes has committed, with the promotions of that recompute
 * in sets of up to 1,000 (a destination's first recompute promotes thousands at once): a
 * recompute that finds the same tiers stores no change and emits nothing. Listeners must be
 * idempotent (the change id is a natural dedupe key) and work set-based (write rows, enqueue
 * jobs).
 */
export const AmbassadorEvents = {
  /** AmbassadorPromotedEvent — visitors' tiers went up to AMBASSADOR. */
  PROMOTED: 'ambassador.promoted',
} as const;

export interface AmbassadorPromotedEvent {
  destinationId: string;
  promotions: AmbassadorPromotion[];
}

export interface AmbassadorPromotion {
  visitorId: string;
  /** The stored tier change (ambassador history row) that this promotion is. */
  changeId: string;
  /** Tier before the change: NONE, FAN or ADVOCATE. */
  fromTier: string;
  score: number;
  promotedAt: Date;
}
