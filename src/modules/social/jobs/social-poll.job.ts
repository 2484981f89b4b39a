import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { Clock } from '../../../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../../../infra/config/config.js';
import { QueueName } from '../../../infra/queue/queue.constants.js';
import { SocialPollingService, type PollReport } from '../social-polling.service.js';

export enum SocialJob {
  /** Every SOCIAL_POLL_INTERVAL: enqueues one POLL_DESTINATION per destination. */
  POLL_ALL = 'social.poll-all',
  /** Polls X for one destination (its tracked sources, then recent metrics and engagement). */
  POLL_DESTINATION = 'social.poll-destination',
}

/** Destinations a worker polls at once (a destination's own pages are taken one at a time). */
export const SOCIAL_POLL_CONCURRENCY = 2;

export interface PollDestinationData {
  destinationId: string;
}

/**
 * X polling. The scheduler fans out one job per destination (ids derived from the fan-out job's,
 * so a retried fan-out enqueues nothing twice); a poll that fails on 5xx / network errors after
 * its own retries fails the job, and BullMQ retries it with backoff. A source paused by a 429 is
 * re-polled by a delayed job at its reset time, so it resumes without waiting for the next tick.
 */
@Processor(QueueName.SOCIAL, { autorun: false, concurrency: SOCIAL_POLL_CONCURRENCY })
export class SocialPollProcessor extends WorkerHost {
  constructor(
    private readonly polling: SocialPollingService,
    @InjectQueue(QueueName.SOCIAL) private readonly queue: Queue,
    private readonly clock: Clock,
  ) {
    super();
  }

  async process(job: Job): Promise<{ destinations: number } | PollReport> {
    switch (job.name as SocialJob) {
      case SocialJob.POLL_ALL: {
        const ids = await this.polling.destinationIds();
        await this.queue.addBulk(
          ids.map((destinationId) => ({
            name: SocialJob.POLL_DESTINATION,
            data: { destinationId } satisfies PollDestinationData,
            opts: { jobId: `social-poll-${destinationId}-${job.timestamp}` },
          })),
        );
        return { destinations: ids.length };
      }
      case SocialJob.POLL_DESTINATION: {
        const { destinationId } = job.data as PollDestinationData;
        const report = await this.polling.poll(destinationId);
        if (report.rateLimitResetAt) {
          const at = report.rateLimitResetAt.getTime();
          await this.queue.add(
            SocialJob.POLL_DESTINATION,
            { destinationId } satisfies PollDestinationData,
            {
              jobId: `social-resume-${destinationId}-${at}`,
              delay: Math.max(0, at - this.clock.now().getTime()) + 1000,
            },
          );
        }
        return report;
      }
      default:
        // A job nobody handles is a deployment error: fail loudly, never drop it silently.
        throw new Error(`${QueueName.SOCIAL}: no handler for job ${job.name}`);
    }
  }
}

/**
 * Registers the polling schedule from worker processes (idempotent: a scheduler id is unique).
 * Without X_BEARER_TOKEN polling is off: the schedule is removed and ingestionStatus says why.
 */
@Injectable()
export class SocialPollScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(SocialPollScheduler.name);

  constructor(
    @InjectQueue(QueueName.SOCIAL) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    if (!this.config.xBearerToken) {
      await this.queue.removeJobScheduler(SocialJob.POLL_ALL);
      this.logger.log('X_BEARER_TOKEN is not set: polling of X is off');
      return;
    }
    await this.queue.upsertJobScheduler(
      SocialJob.POLL_ALL,
      { every: this.config.socialPollIntervalMs },
      { name: SocialJob.POLL_ALL },
    );
  }
}
