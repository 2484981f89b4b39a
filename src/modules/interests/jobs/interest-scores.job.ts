import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../../infra/config/config.js';
import { QueueName } from '../../../infra/queue/queue.constants.js';
import { InterestScoresService, type RefreshResult } from '../interest-scores.service.js';

export enum InterestJob {
  /** Nightly: enqueues one REFRESH_DESTINATION per destination. */
  REFRESH_ALL = 'interests.refresh-all-scores',
  /** Recomputes every score of one destination (decay), in chunks of visitors. */
  REFRESH_DESTINATION = 'interests.refresh-destination-scores',
}

export interface RefreshDestinationData {
  destinationId: string;
}

/** Every night at 03:00 UTC. */
export const NIGHTLY_REFRESH_CRON = '0 3 * * *';

/**
 * Interest score decay. The nightly job fans out one job per destination (so several workers
 * share the work and a failure retries one destination only); their ids derive from the nightly
 * job's, so a retried fan-out enqueues nothing twice. A refresh recomputes from the evidence:
 * running it again is harmless.
 */
@Processor(QueueName.INTERESTS, { autorun: false, concurrency: 2 })
export class InterestScoresProcessor extends WorkerHost {
  constructor(
    private readonly scores: InterestScoresService,
    @InjectQueue(QueueName.INTERESTS) private readonly queue: Queue,
  ) {
    super();
  }

  async process(job: Job): Promise<{ destinations: number } | RefreshResult> {
    switch (job.name as InterestJob) {
      case InterestJob.REFRESH_ALL: {
        const ids = await this.scores.destinationIds();
        await this.queue.addBulk(
          ids.map((destinationId) => ({
            name: InterestJob.REFRESH_DESTINATION,
            data: { destinationId } satisfies RefreshDestinationData,
            opts: { jobId: `interests-refresh-${destinationId}-${job.timestamp}` },
          })),
        );
        return { destinations: ids.length };
      }
      case InterestJob.REFRESH_DESTINATION:
        return this.scores.refreshScores((job.data as RefreshDestinationData).destinationId);
      default:
        // A job nobody handles is a deployment error: fail loudly, never drop it silently.
        throw new Error(`${QueueName.INTERESTS}: no handler for job ${job.name}`);
    }
  }
}

/** Registers the nightly schedule once (a scheduler id is unique), from worker processes. */
@Injectable()
export class InterestScoresScheduler implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.INTERESTS) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    await this.queue.upsertJobScheduler(
      InterestJob.REFRESH_ALL,
      { pattern: NIGHTLY_REFRESH_CRON, tz: 'UTC' },
      { name: InterestJob.REFRESH_ALL },
    );
  }
}
