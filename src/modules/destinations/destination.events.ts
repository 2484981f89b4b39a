/**
 * Domain events of the destinations module, on @nestjs/event-emitter (in process). Emitted with
 * `emitAsync` and awaited, so listeners (seeding the interest taxonomy) finish before the caller
 * goes on; a listener that fails fails the operation.
 */
export const DestinationEvents = {
  CREATED: 'destination.created',
} as const;

export interface DestinationCreatedEvent {
  destinationId: string;
  defaultLocale: string;
}
