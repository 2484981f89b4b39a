import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  VisitorEvents,
  type VisitorErasingEvent,
  type VisitorExportingEvent,
} from '../visitors/visitor.events.js';
import { StaysService } from './stays.service.js';

/**
 * The stays module's part in the visitors' life events. Errors are not suppressed: an export
 * without its stays, or an erasure that left a booking reference, must fail as a whole.
 * (A merge moves stays itself, in VisitorMergeService, in its transaction.)
 */
@Injectable()
export class StaysVisitorListener {
  constructor(private readonly stays: StaysService) {}

  @OnEvent(VisitorEvents.EXPORTING, { suppressErrors: false })
  async onExporting(event: VisitorExportingEvent): Promise<void> {
    event.sections.stays = await this.stays.exportSection(event.destinationId, event.visitorId);
  }

  @OnEvent(VisitorEvents.ERASING, { suppressErrors: false })
  async onErasing(event: VisitorErasingEvent): Promise<void> {
    await this.stays.eraseIn(event.manager, event.destinationId, event.visitorId);
  }
}
