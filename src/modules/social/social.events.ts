import type { EntityManager } from 'typeorm';

/** Domain events of the social module (@nestjs/event-emitter, in process, `emitAsync`). */
export const SocialEvents = {
  /** { manager, destinationId, source, createdIds, updatedIds } — inside the page's transaction. */
  INGESTING: 'social.interactions.ingesting',
  /** { destinationId, source, createdIds, updatedIds } — after commit. */
  INGESTED: 'social.interactions.ingested',
} as const;

export interface InteractionsIngestedEvent {
  destinationId: string;
  source: 'x' | 'partner';
  createdIds: string[];
  updatedIds: string[];
}

export interface InteractionsIngestingEvent extends InteractionsIngestedEvent {
  manager: EntityManager;
}
