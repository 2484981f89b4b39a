import { Injectable } from '@nestjs/common';
import { InProcessPubSub } from '../../common/pubsub/pubsub.js';
import type { InteractionEntity } from './interaction.entity.js';

export interface InteractionPublished {
  destinationId: string;
  interaction: InteractionEntity;
}

/** `interactionIngested`: new interactions after commit, per destination (in process). */
@Injectable()
export class InteractionPubSub {
  private readonly bus = new InProcessPubSub<InteractionPublished>();
  private readonly perDestination = new Map<string, number>();

  publish(event: InteractionPublished): void {
    this.bus.publish(event);
  }

  hasSubscribers(destinationId: string): boolean {
    return (this.perDestination.get(destinationId) ?? 0) > 0;
  }

  async *subscribe(destinationId: string): AsyncGenerator<InteractionEntity> {
    this.perDestination.set(destinationId, (this.perDestination.get(destinationId) ?? 0) + 1);
    const events = this.bus.subscribe((e) => e.destinationId === destinationId);
    try {
      for await (const event of events) yield event.interaction;
    } finally {
      await events.return?.();
      this.perDestination.set(destinationId, (this.perDestination.get(destinationId) ?? 1) - 1);
    }
  }
}
