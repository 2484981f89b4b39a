import { setTimeout as sleep } from 'node:timers/promises';
import { getQueueToken } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { QueueName } from '../../src/infra/queue/queue.constants.js';
import { AccessJob } from '../../src/modules/access/jobs/access-maintenance.job.js';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Polls the job until it has finished. Polling, not QueueEvents: on the PostgreSQL backend events
 * depend on LISTEN/NOTIFY, which PGlite does not deliver, and the tests should run the same on both.
 */
async function finished(queue: Queue, id: string, timeoutMs = 20_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await queue.getJobState(id);
    if (state === 'completed' || state === 'failed') return (await queue.getJob(id))!;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${state} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Waits until nothing is waiting or running (the scheduler's first run happens at boot). */
async function idle(queue: Queue, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'active', 'prioritized');
    if (Object.values(counts).every((n) => n === 0)) return;
    if (Date.now() > deadline)
      throw new Error(`queue ${queue.name} still busy: ${JSON.stringify(counts)}`);
    await sleep(100);
  }
}

// Explicit: Jest ignores `testTimeout` inside `projects` entries, so its default 5 s would apply.
const TIMEOUT = 60_000;

describe.each(['redis', 'postgres'] as const)(
  'maintenance queue on the %s backend',
  (queueBackend) => {
    let app: TestApp;
    let queue: Queue;
    let dataSource: DataSource;

    beforeAll(async () => {
      app = await startTestApp({ queueBackend });
      queue = app.runtime.app.get<Queue>(getQueueToken(QueueName.MAINTENANCE));
      dataSource = app.runtime.app.get(DataSource);
      await idle(queue);
    }, TIMEOUT);
    afterAll(() => app?.stop(), TIMEOUT);

    it(
      'registers the hourly purge as a job scheduler',
      async () => {
        const schedulers = await queue.getJobSchedulers();
        expect(schedulers).toEqual([
          expect.objectContaining({
            key: AccessJob.PURGE_EXPIRED_LOGIN_LIMITS,
            name: AccessJob.PURGE_EXPIRED_LOGIN_LIMITS,
            every: 3_600_000,
          }),
        ]);
      },
      TIMEOUT,
    );

    it(
      'purges exactly the expired rate_limits rows through the real queue and reports the count',
      async () => {
        const now = Date.now();
        const rows: Array<[key: string, points: number, expire: number | null]> = [
          ['login-email:expired-1@example.org', 5, now - 60_000],
          ['login-email:expired-2@example.org', 3, now - 1],
          ['login-ip:10.0.0.1', 20, now - 3_600_000],
          ['login-email:live@example.org', 2, now + 600_000],
          ['login-ip:10.0.0.2', 1, now + 60_000],
          ['login-email:forever@example.org', 1, null],
        ];
        for (const row of rows) {
          await dataSource.query(
            'INSERT INTO rate_limits (key, points, expire) VALUES ($1, $2, $3)',
            row,
          );
        }

        const added = await queue.add(AccessJob.PURGE_EXPIRED_LOGIN_LIMITS, {});
        const job = await finished(queue, added.id!);

        expect(job.failedReason).toBeUndefined();
        expect(await job.getState()).toBe('completed');
        const left: Array<{ key: string }> = await dataSource.query(
          'SELECT key FROM rate_limits ORDER BY key',
        );
        expect(left.map((r) => r.key)).toEqual([
          'login-email:forever@example.org',
          'login-email:live@example.org',
          'login-ip:10.0.0.2',
        ]);
        expect(job.returnvalue).toEqual({ deleted: 3 });
      },
      TIMEOUT,
    );

    it(
      'fails a job that no handler knows, instead of completing it',
      async () => {
        const added = await queue.add('access.no-such-job', { any: 'thing' }, { attempts: 1 });
        const job = await finished(queue, added.id!);

        expect(await job.getState()).toBe('failed');
        expect(job.failedReason).toContain('no handler for job access.no-such-job');
        expect(job.returnvalue ?? undefined).toBeUndefined();
      },
      TIMEOUT,
    );
  },
);
