import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  VisitorEvents,
  type VisitorErasingEvent,
  type VisitorMergingEvent,
} from '../visitors/visitor.events.js';

/**
 * The outbox follows the visitors' life events inside their transactions: an erased visitor's
 * pending messages are cancelled (the worker would suppress them anyway, this keeps the stats
 * honest); a merge moves messages to the kept visitor, the merged duplicate of a message the
 * kept visitor already has for the same step and occurrence giving way.
 */
@Injectable()
export class MessagingVisitorListener {
  @OnEvent(VisitorEvents.ERASING, { suppressErrors: false })
  async onErasing(event: VisitorErasingEvent): Promise<void> {
    await event.manager.query(
      `UPDATE messages SET status = 'CANCELLED', updated_at = now()
        WHERE visitor_id = $1 AND destination_id = $2 AND status IN ('SCHEDULED', 'QUEUED')`,
      [event.visitorId, event.destinationId],
    );
  }

  @OnEvent(VisitorEvents.MERGING, { suppressErrors: false })
  async onMerging(event: VisitorMergingEvent): Promise<void> {
    await event.manager.query(
      `DELETE FROM messages m WHERE m.visitor_id = $2 AND EXISTS (
         SELECT 1 FROM messages k WHERE k.visitor_id = $1 AND k.step_id = m.step_id
            AND k.occurrence = m.occurrence)`,
      [event.keepId, event.mergeId],
    );
    await event.manager.query(
      'UPDATE messages SET visitor_id = $1, updated_at = now() WHERE visitor_id = $2',
      [event.keepId, event.mergeId],
    );
  }
}
