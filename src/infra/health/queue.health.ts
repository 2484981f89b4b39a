import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { QueueName } from '../queue/queue.constants.js';

/** The queue backend answers (Redis or PostgreSQL): a cheap count on one queue, with a timeout. */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectQueue(QueueName.MAINTENANCE) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async check(key: string) {
    const indicator = this.indicators.check(key);
    const backend = this.config.queueBackend;
    try {
      await Promise.race([
        this.queue.getJobCounts('waiting'),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('timeout after 3000ms')), 3000).unref(),
        ),
      ]);
      return indicator.up({ backend });
    } catch (error) {
      return indicator.down({
        backend,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
