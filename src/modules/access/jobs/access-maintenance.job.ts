import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../../infra/config/config.js';
import { QueueName } from '../../../infra/queue/queue.constants.js';
import { LoginRateLimiter } from '../login-rate-limiter.js';

export enum AccessJob {
  PURGE_EXPIRED_LOGIN_LIMITS = 'access.purge-expired-login-limits',
}

const HOURLY = 3_600_000;

/** Housekeeping of the access module: expired brute-force counters are deleted every hour. */
@Processor(QueueName.MAINTENANCE, { autorun: false, concurrency: 1 })
export class AccessMaintenanceProcessor extends WorkerHost {
  constructor(private readonly limiter: LoginRateLimiter) {
    super();
  }

  async process(job: Job): Promise<{ deleted: number }> {
    switch (job.name as AccessJob) {
      case AccessJob.PURGE_EXPIRED_LOGIN_LIMITS:
        return { deleted: await this.limiter.purgeExpired() };
      default:
        // A job nobody handles is a deployment error: fail loudly, never drop it silently.
        throw new Error(`${QueueName.MAINTENANCE}: no handler for job ${job.name}`);
    }
  }
}

/** Registers the schedule once (idempotent: a scheduler id is unique), from worker processes. */
@Injectable()
export class AccessMaintenanceScheduler implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.MAINTENANCE) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    await this.queue.upsertJobScheduler(
      AccessJob.PURGE_EXPIRED_LOGIN_LIMITS,
      { every: HOURLY },
      { name: AccessJob.PURGE_EXPIRED_LOGIN_LIMITS },
    );
  }
}
