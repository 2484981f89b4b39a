import { Injectable } from '@nestjs/common';
import { InProcessPubSub } from '../../common/pubsub/pubsub.js';
import type { InteractionEntity } from '../social/interaction.entity.js';

/** What a public screen may show of a post: the public handle, the text, the time. */
export interface PublicWallPost {
  id: string;
  handle: string | null;
  text: string;
  occurredAt: string;
}

/**
 * A post came onto the wall (approved) or left it (re-moderated), as this process's screens and
 * subscribers receive it. WallNotifier brings the changes of every process here.
 */
export type WallEvent =
  | {
      destinationId: string;
      type: 'approved';
      interaction: InteractionEntity;
      post: PublicWallPost;
    }
  | { destinationId: string; type: 'removed'; interactionId: string };

@Injectable()
export class WallPubSub {
  private readonly bus = new InProcessPubSub<WallEvent>();

  publish(event: WallEvent): void {
    this.bus.publish(event);
  }

  /** Events of one destination from now on; `return()` the iterator to stop listening. */
  subscribe(destinationId: string): AsyncIterableIterator<WallEvent> {
    return this.bus.subscribe((e) => e.destinationId === destinationId);
  }

  async *approved(destinationId: string): AsyncGenerator<InteractionEntity> {
    const events = this.subscribe(destinationId);
    try {
      for await (const event of events) if (event.type === 'approved') yield event.interaction;
    } finally {
      await events.return?.();
    }
  }
}
