import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../src/infra/config/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';

const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A migrated scratch database and the real application on it (API role: no job is processed). */
export async function benchRuntime(): Promise<{
  runtime: Runtime;
  url: string;
  drop(keep?: boolean): Promise<void>;
}> {
  const name = `escale_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const runtime = await createRuntime(
    loadConfig({
      DATABASE_URL: url,
      REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      JWT_SECRET: randomBytes(32).toString('hex'),
      ROLE: 'api',
      LOG_LEVEL: 'silent',
      ESCALE_QUEUE_PREFIX: `bench-${name}`,
    }),
    { quiet: true, skipBootstrap: true, log: () => undefined },
  );
  return {
    runtime,
    url,
    /** With `keep`, the database stays (to study its query plans), and its URL is printed. */
    async drop(keep = false) {
      await runtime.stop();
      if (keep) {
        console.log(`kept the database: ${url}`);
        await admin.end();
        return;
      }
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Runs `fn` `n` times, `concurrency` at a time; returns operations per second. */
export async function opsPerSecond(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
) {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  return n / (Number(process.hrtime.bigint() - started) / 1e9);
}

export function report(label: string, ours: number, baseline: number, unit = 'ops/s') {
  const f = (x: number) => x.toLocaleString('en', { maximumFractionDigits: 0 });
  console.log(
    `${label}: ${f(ours)} ${unit}; baseline ${f(baseline)} ${unit}; ratio ${(ours / baseline).toFixed(2)}×`,
  );
}
