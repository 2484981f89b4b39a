import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { loadConfig } from '../src/infra/config/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';

const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A migrated scratch database and the real application on it (API role: no job is processed). */
export async function benchRuntime(): Promise<{
  runtime: Runtime;
  url: string;
  name: string;
  admin: pg.Client;
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
    name,
    admin,
    /** With `keep`, the database stays (to study its query plans), and its URL is printed. */
    async drop(keep = Boolean(process.env.BENCH_KEEP)) {
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

/** CPU seconds of a local process (Linux /proc), 0 when it cannot be read. */
export function processCpu(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ ticks
  } catch {
    return 0;
  }
}

/**
 * CPU spent by this process and by the PostgreSQL backends of `database` (when PostgreSQL runs
 * on this machine) between start() and stop(). On a shared, loaded machine wall-clock figures
 * depend on what else runs; the CPU cost of the same work does not, or much less.
 */
export async function cpuMeter(client: pg.Client, database: string) {
  const backends = async () =>
    (
      await client.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [database],
      )
    ).rows.map((r) => r.pid);
  const before = new Map((await backends()).map((pid) => [pid, processCpu(pid)]));
  const node = process.cpuUsage();
  return {
    async stop(): Promise<{ node: number; database: number }> {
      const used = process.cpuUsage(node);
      let database = 0;
      for (const pid of await backends()) database += processCpu(pid) - (before.get(pid) ?? 0);
      return { node: (used.user + used.system) / 1e6, database };
    },
  };
}

/**
 * A benchmark's bulk load, generated inside PostgreSQL (INSERT … SELECT: nothing crosses the
 * wire). Triggers and foreign keys are off while loading (session_replication_role = replica,
 * which needs a role allowed to set it: the local superuser), and the plain indexes of `tables`
 * are dropped, then built once by `finish` (3× faster than maintained row by row); the primary
 * keys stay, so the schema after the load is the migrations' exactly. `step` runs one statement
 * (`defaultParams` when it gives none) and logs its rows and time.
 */
export async function bulkLoad(
  client: pg.ClientBase,
  tables: readonly string[],
  log: (line: string) => void,
  defaultParams: unknown[] = [],
) {
  const since = (t: bigint) => (Number(process.hrtime.bigint() - t) / 1e9).toFixed(1);
  await client.query(
    "SET synchronous_commit = off; SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'",
  );
  await client.query("SET session_replication_role = 'replica'");
  await client.query('SELECT setseed(0.42)');
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
      WHERE i.indrelid = ANY($1::regclass[])
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    [tables],
  );
  for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
  return {
    async step(label: string, sql: string, params: unknown[] = defaultParams) {
      const t = process.hrtime.bigint();
      const r = await client.query(sql, params);
      log(`  ${label}: ${r.rowCount} rows, ${since(t)} s`);
    },
    /** Triggers back on, the dropped indexes built, the tables vacuumed and analyzed. */
    async finish() {
      await client.query("SET session_replication_role = 'origin'");
      let t = process.hrtime.bigint();
      for (const index of indexes) await client.query(index.definition);
      log(`  ${indexes.length} indexes: ${since(t)} s`);
      t = process.hrtime.bigint();
      await client.query(`VACUUM ANALYZE ${tables.join(', ')}`);
      log(`  vacuum analyze: ${since(t)} s`);
    },
  };
}
