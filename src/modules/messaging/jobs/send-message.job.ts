import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, type Job, type Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../../infra/config/config.js';
import { QueueName } from '../../../infra/queue/queue.constants.js';
import { RateLimitedSendError } from '../channels/send-errors.js';
import { MessageJob, SEND_ATTEMPTS, type SendMessageData } from '../message-outbox.js';
import { MessageReconciler } from '../message-reconciler.service.js';
import { MessageSender } from '../message-sender.service.js';

export const RECONCILE_EVERY_MS = 60_000;

/**
 * The outbox worker: one job per message (data = its id), and the reconciler every minute.
 * A 429 from X moves the job to its reset time without spending an attempt.
 */
@Processor(QueueName.MESSAGES, { autorun: false, concurrency: 20 })
export class SendMessageProcessor extends WorkerHost {
  constructor(
    private readonly sender: MessageSender,
    private readonly reconciler: MessageReconciler,
  ) {
    super();
  }

  async process(job: Job, token?: string) {
    switch (job.name as MessageJob) {
      case MessageJob.SEND: {
        const { id } = job.data as SendMessageData;
        const attempts = job.opts.attempts ?? SEND_ATTEMPTS;
        try {
          return await this.sender.send(id, job.attemptsMade + 1 >= attempts);
        } catch (error) {
          if (error instanceof RateLimitedSendError && token) {
            await job.moveToDelayed(error.resetAt.getTime() + 1000, token);
            throw new DelayedError();
          }
          throw error;
        }
      }
      case MessageJob.RECONCILE:
        return this.reconciler.reconcile();
      default:
        // A job nobody handles is a deployment error: fail loudly, never drop it silently.
        throw new Error(`${QueueName.MESSAGES}: no handler for job ${job.name}`);
    }
  }
}

/** Registers the reconciler's schedule from worker processes (a scheduler id is unique). */
@Injectable()
export class MessageReconcileScheduler implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.MESSAGES) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    await this.queue.upsertJobScheduler(
      MessageJob.RECONCILE,
      { every: RECONCILE_EVERY_MS },
      { name: MessageJob.RECONCILE },
    );
  }
}
