import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { JobsOptions, Queue } from 'bullmq';
import { Clock } from '../../common/clock/clock.js';
import { QueueName } from '../../infra/queue/queue.constants.js';

export enum MessageJob {
  /** Sends one message; data is its id only, jobId is its id. */
  SEND = 'messages.send',
  /** Every minute: rebuilds missing jobs of due messages, frees stale claims. */
  RECONCILE = 'messages.reconcile',
}

export interface SendMessageData {
  id: string;
}

/** Transient failures (SMTP 4xx, network): retried with exponential backoff, then FAILED. */
export const SEND_ATTEMPTS = 5;

/**
 * Job options of a message. The job is removed when it ends (done or failed), so its id is free
 * again: a re-enqueue after a pause, a reschedule or a Redis loss is never swallowed by BullMQ's
 * jobId dedupe. The messages row, not the job, remembers what happened.
 */
export const sendJobOptions = (id: string, delayMs: number): JobsOptions => ({
  jobId: id,
  delay: Math.max(0, delayMs),
  attempts: SEND_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: true,
});

/** Puts messages' wake-up jobs on the queue: always after the rows are committed. */
@Injectable()
export class MessageOutbox {
  constructor(
    @InjectQueue(QueueName.MESSAGES) private readonly queue: Queue,
    private readonly clock: Clock,
  ) {}

  async enqueue(messages: readonly { id: string; scheduledAt: Date }[]): Promise<void> {
    const now = this.clock.now().getTime();
    for (let i = 0; i < messages.length; i += 1000) {
      await this.queue.addBulk(
        messages.slice(i, i + 1000).map((m) => ({
          name: MessageJob.SEND,
          data: { id: m.id } satisfies SendMessageData,
          opts: sendJobOptions(m.id, m.scheduledAt.getTime() - now),
        })),
      );
    }
  }

  /** Replaces the jobs of rescheduled messages (a delayed job is removed, then added again). */
  async reschedule(messages: readonly { id: string; scheduledAt: Date }[]): Promise<void> {
    await this.remove(messages.map((m) => m.id));
    await this.enqueue(messages);
  }

  /** Best effort: a job already running is left alone; its worker re-checks the row anyway. */
  async remove(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.queue.remove(id).catch(() => 0)));
  }

  /** Which of `ids` have no job (lost with Redis, or never enqueued). */
  async missing(ids: readonly string[]): Promise<string[]> {
    const states = await Promise.all(ids.map((id) => this.queue.getJobState(id)));
    return ids.filter((_, i) => states[i] === 'unknown');
  }
}

/**
 * A broadcast is COMPLETED once its activation scan is done and no message is pending. Called
 * after each final message and at the end of the scan; the conditional UPDATE makes it safe to
 * call from any number of workers.
 */
export async function completeBroadcastIfDone(
  dataSource: DataSource,
  campaignId: string,
): Promise<void> {
  await dataSource.query(
    `UPDATE campaigns c SET status = 'COMPLETED', updated_at = now()
      WHERE c.id = $1 AND c.kind = 'BROADCAST' AND c.status = 'ACTIVE'
        AND c.activation_done_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = c.id
                          AND m.status IN ('SCHEDULED', 'QUEUED', 'SENDING'))`,
    [campaignId],
  );
}
