import { Injectable } from '@nestjs/common';
import { InProcessPubSub } from '../../common/pubsub/pubsub.js';
import type { AmbassadorChange } from './ambassador.models.js';

/** `ambassadorPromoted`: promotions after commit, per destination (in process). */
@Injectable()
export class AmbassadorPubSub {
  private readonly bus = new InProcessPubSub<AmbassadorChange>();

  publish(change: AmbassadorChange): void {
    this.bus.publish(change);
  }

  async *subscribe(destinationId: string): AsyncGenerator<AmbassadorChange> {
    const events = this.bus.subscribe((c) => c.destinationId === destinationId);
    try {
      for await (const change of events) yield change;
    } finally {
      await events.return?.();
    }
  }
}
