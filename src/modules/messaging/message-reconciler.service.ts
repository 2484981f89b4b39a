import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { MessageOutbox } from './message-outbox.js';
import { updateReturning } from './update-returning.js';

/** A claim older than this is a worker that died mid-send. */
export const SENDING_TIMEOUT_MS = 5 * 60_000;
/** Messages due within this are checked for a missing job. */
const LOOKAHEAD_MS = 60_000;
const BATCH = 5000;

export interface ReconcileReport {
  /** Stale SENDING claims returned to QUEUED. */
  released: number;
  /** Due messages whose job was missing, enqueued again. */
  requeued: number;
}

/**
 * PostgreSQL is the truth, the queue a cache of wake-ups: this puts back what the queue lost
 * (Redis flushed or restored from an old snapshot, an enqueue that failed after commit) and what
 * a killed worker left SENDING. Re-enqueuing is harmless: the send path claims conditionally.
 */
@Injectable()
export class MessageReconciler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: MessageOutbox,
    private readonly clock: Clock,
  ) {}

  async reconcile(sendingTimeoutMs = SENDING_TIMEOUT_MS): Promise<ReconcileReport> {
    const now = this.clock.now().getTime();
    const released = await updateReturning<{ id: string }>(
      this.dataSource,
      `UPDATE messages SET status = 'QUEUED', claimed_at = NULL, updated_at = now()
        WHERE status = 'SENDING' AND claimed_at < $1 RETURNING id`,
      [new Date(now - sendingTimeoutMs)],
    );
    let requeued = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      // Messages of paused campaigns stay held: resuming enqueues them.
      const due: { id: string; scheduled_at: Date }[] = await this.dataSource.query(
        `SELECT m.id, m.scheduled_at FROM messages m
           JOIN campaigns c ON c.id = m.campaign_id AND c.status = 'ACTIVE'
          WHERE m.status IN ('SCHEDULED', 'QUEUED') AND m.scheduled_at <= $1 AND m.id > $2
          ORDER BY m.id LIMIT $3`,
        [new Date(now + LOOKAHEAD_MS), after, BATCH],
      );
      if (!due.length) break;
      const missing = new Set(await this.outbox.missing(due.map((m) => m.id)));
      const lost = due.filter((m) => missing.has(m.id));
      await this.outbox.enqueue(lost.map((m) => ({ id: m.id, scheduledAt: m.scheduled_at })));
      requeued += lost.length;
      if (due.length < BATCH) break;
      after = due[due.length - 1].id;
    }
    return { released: released.length, requeued };
  }
}
