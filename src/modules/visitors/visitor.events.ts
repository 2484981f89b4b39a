import type { EntityManager } from 'typeorm';

/**
 * Domain events of the visitors module (@nestjs/event-emitter, in process, emitted with
 * `emitAsync` and awaited). Merge and erasure events carry the transaction's EntityManager:
 * modules that keep rows about a visitor (interactions, messages...) move or blank them in the
 * same transaction, so the operation is all or nothing.
 */
export const VisitorEvents = {
  /** { manager, destinationId, keepId, mergeId } — move your rows from mergeId to keepId. */
  MERGING: 'visitor.merging',
  /** { manager, destinationId, visitorId } — remove PII from your rows, cancel what is pending. */
  ERASING: 'visitor.erasing',
  /** { destinationId, visitorId, sections } — add your section(s) to the GDPR export. */
  EXPORTING: 'visitor.exporting',
  /** { destinationId, visitorId } — after commit: a visitor was created or changed. */
  CHANGED: 'visitor.changed',
} as const;

export interface VisitorMergingEvent {
  manager: EntityManager;
  destinationId: string;
  keepId: string;
  mergeId: string;
}

export interface VisitorErasingEvent {
  manager: EntityManager;
  destinationId: string;
  visitorId: string;
}

export interface VisitorExportingEvent {
  destinationId: string;
  visitorId: string;
  sections: Record<string, unknown>;
}

export interface VisitorChangedEvent {
  destinationId: string;
  visitorId: string;
}
