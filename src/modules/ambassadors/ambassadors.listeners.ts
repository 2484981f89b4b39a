import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { Queue } from 'bullmq';
import { QueueName } from '../../infra/queue/queue.constants.js';
import { SocialEvents, type InteractionsIngestedEvent } from '../social/social.events.js';
import {
  VisitorEvents,
  type VisitorErasingEvent,
  type VisitorExportingEvent,
  type VisitorMergingEvent,
} from '../visitors/visitor.events.js';
import { AmbassadorScoresService } from './ambassador-scores.service.js';
import {
  AmbassadorJob,
  RECOMPUTE_AFTER_INGEST_MS,
  recomputeDedupId,
  type RecomputeDestinationData,
} from './jobs/ambassador-scores.job.js';

/**
 * What the ambassadors module does when others act: a recompute a minute after ingestion, and
 * its part in the visitors' merge, erasure and export (errors not suppressed: those must be all
 * or nothing).
 */
@Injectable()
export class AmbassadorsListener {
  constructor(
    private readonly scores: AmbassadorScoresService,
    @InjectQueue(QueueName.AMBASSADORS) private readonly queue: Queue,
  ) {}

  /**
   * The first batch schedules a recompute a minute later; batches until then join it
   * (deduplication by destination), and a batch that arrives while it runs gets one more after it
   * (keepLastIfActive), so no batch is left unscored until the night.
   */
  @OnEvent(SocialEvents.INGESTED)
  async onIngested(event: InteractionsIngestedEvent): Promise<void> {
    if (!event.createdIds.length && !event.updatedIds.length) return;
    await this.queue.add(
      AmbassadorJob.RECOMPUTE_DESTINATION,
      { destinationId: event.destinationId } satisfies RecomputeDestinationData,
      {
        delay: RECOMPUTE_AFTER_INGEST_MS,
        deduplication: { id: recomputeDedupId(event.destinationId), keepLastIfActive: true },
      },
    );
  }

  @OnEvent(VisitorEvents.EXPORTING, { suppressErrors: false })
  async onExporting(event: VisitorExportingEvent): Promise<void> {
    event.sections.ambassador = await this.scores.exportSection(
      event.destinationId,
      event.visitorId,
    );
  }

  @OnEvent(VisitorEvents.MERGING, { suppressErrors: false })
  async onMerging(event: VisitorMergingEvent): Promise<void> {
    await this.scores.mergeIn(event.manager, event.destinationId, event.keepId, event.mergeId);
  }

  @OnEvent(VisitorEvents.ERASING, { suppressErrors: false })
  async onErasing(event: VisitorErasingEvent): Promise<void> {
    await this.scores.eraseIn(event.manager, event.destinationId, event.visitorId);
  }
}
