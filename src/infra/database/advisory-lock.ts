import type { DataSource } from 'typeorm';

/** Well-known advisory lock keys, so two uses never collide by accident. */
export enum AdvisoryLock {
  MIGRATIONS = 727_413_001,
  BOOTSTRAP = 727_413_002,
}

/**
 * First keys of the two-key advisory locks (`pg_advisory_xact_lock(space, key)`), one space per
 * use: two uses sharing a space would wait on each other's unrelated keys, and could deadlock
 * (each holding a key the other wants). PostgreSQL keeps one-key and two-key locks apart.
 */
export enum AdvisoryLockSpace {
  /** One destination's ambassador recompute. */
  AMBASSADOR_RECOMPUTE = 727_413_070,
  /** Buckets of visitors whose interest scores are being refreshed. */
  INTEREST_SCORES = 727_413_101,
  /** The match keys (e-mail, handles) of a guest a booking brings. */
  STAY_GUESTS = 727_413_102,
  /** A visitor whose messages' weekly cap is being checked. */
  FREQUENCY_CAP = 727_413_103,
}

/**
 * Runs `work` while holding a session-level advisory lock on a dedicated connection. Session (not
 * transaction) level, so `work` may use other connections freely — which PGlite needs, as a
 * transaction there blocks every other connection.
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  key: AdvisoryLock,
  work: () => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}
