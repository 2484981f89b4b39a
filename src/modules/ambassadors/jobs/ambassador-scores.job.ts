import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../../infra/config/config.js';
import { QueueName } from '../../../infra/queue/queue.constants.js';
import { AmbassadorScoresService, type RecomputeReport } from '../ambassador-scores.service.js';

export enum AmbassadorJob {
  /** Nightly: enqueues one RECOMPUTE_DESTINATION per destination. */
  RECOMPUTE_ALL = 'ambassadors.recompute-all',
  /** Recomputes every ambassador score of one destination (one set-based pass). */
  RECOMPUTE_DESTINATION = 'ambassadors.recompute-destination',
}

export interface RecomputeDestinationData {
  destinationId: string;
}

/** Every night at 03:30 UTC (after the interest decay of 03:00). */
export const NIGHTLY_RECOMPUTE_CRON = '30 3 * * *';

/** How long after an ingestion batch its destination's scores are recomputed. */
export const RECOMPUTE_AFTER_INGEST_MS = 60_000;

/** One deduplication id per destination: the batches of a minute share one recompute. */
export const recomputeDedupId = (destinationId: string) => `ambassadors-recompute-${destinationId}`;

/**
 * Ambassador scores. The nightly job fans out one job per destination (ids derived from the
 * nightly job's, so a retried fan-out enqueues nothing twice). A recompute is safe to re-run: it
 * stores and emits only what changed.
 */
@Processor(QueueName.AMBASSADORS, { autorun: false, concurrency: 1 })
export class AmbassadorScoresProcessor extends WorkerHost {
  constructor(
    private readonly scores: AmbassadorScoresService,
    @InjectQueue(QueueName.AMBASSADORS) private readonly queue: Queue,
  ) {
    super();
  }

  async process(job: Job): Promise<{ destinations: number } | RecomputeReport> {
    switch (job.name as AmbassadorJob) {
      case AmbassadorJob.RECOMPUTE_ALL: {
        const ids = await this.scores.destinationIds();
        await this.queue.addBulk(
          ids.map((destinationId) => ({
            name: AmbassadorJob.RECOMPUTE_DESTINATION,
            data: { destinationId } satisfies RecomputeDestinationData,
            opts: { jobId: `ambassadors-nightly-${destinationId}-${job.timestamp}` },
          })),
        );
        return { destinations: ids.length };
      }
      case AmbassadorJob.RECOMPUTE_DESTINATION:
        return this.scores.recompute((job.data as RecomputeDestinationData).destinationId);
      default:
        // A job nobody handles is a deployment error: fail loudly, never drop it silently.
        throw new Error(`${QueueName.AMBASSADORS}: no handler for job ${job.name}`);
    }
  }
}

/** Registers the nightly schedule once (a scheduler id is unique), from worker processes. */
@Injectable()
export class AmbassadorScoresScheduler implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.AMBASSADORS) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    await this.queue.upsertJobScheduler(
      AmbassadorJob.RECOMPUTE_ALL,
      { pattern: NIGHTLY_RECOMPUTE_CRON, tz: 'UTC' },
      { name: AmbassadorJob.RECOMPUTE_ALL },
    );
  }
}
