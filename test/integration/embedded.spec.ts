import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getQueueToken } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/infra/config/config.js';
import { EMBEDDED_ADMIN_EMAIL, EMBEDDED_DESTINATION } from '../../src/infra/embedded/embedded.js';
import { QueueName } from '../../src/infra/queue/queue.constants.js';
import { AccessJob } from '../../src/modules/access/jobs/access-maintenance.job.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';

// The zero-setup mode: no DATABASE_URL, REDIS_URL or JWT_SECRET; PGlite in a temporary data dir.
// The environment is passed explicitly, so the test runner's own DATABASE_URL does not leak in.
const dataDir = mkdtempSync(join(tmpdir(), 'escale-embedded-'));
const config = () =>
  loadConfig({ NODE_ENV: 'test', ESCALE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' });

/** What the runtimes report as errors (Nest's logger on stderr, BullMQ's console.error). */
const errorOutput: string[] = [];
const write = process.stderr.write.bind(process.stderr);
const consoleError = console.error;
const consoleWarn = console.warn;

async function gql<T = any>(
  runtime: Runtime,
  query: string,
  variables = {},
  headers: Record<string, string> = {},
) {
  const res = await request(runtime.app.getHttpServer())
    .post('/graphql')
    .set(headers)
    .send({ query, variables });
  return res.body as {
    data: T;
    errors?: Array<{ message: string; extensions: Record<string, unknown> }>;
  };
}

async function login(runtime: Runtime, email: string, password: string): Promise<string> {
  const res = await gql(
    runtime,
    'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
    { e: email, p: password },
  );
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.login.accessToken as string;
}

async function finished(queue: Queue, id: string, timeoutMs = 30_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await queue.getJobState(id);
    if (state === 'completed' || state === 'failed') return (await queue.getJob(id))!;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${state} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

// Just enough of the PostgreSQL wire protocol to send a batch in two halves.
function message(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(type ? 5 : 4);
  if (type) head.write(type);
  head.writeInt32BE(body.length + 4, type ? 1 : 0);
  return Buffer.concat([head, body]);
}
const str = (s: string) => Buffer.from(`${s}\0`);
const int16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
function int32(n: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeInt32BE(n);
  return buf;
}
const text = (s: string) => Buffer.concat([int32(Buffer.byteLength(s)), Buffer.from(s)]);
/** The backend messages in `data`, as [type, body]. */
function backendMessages(data: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (let at = 0; at + 5 <= data.length; at += 1 + data.readInt32BE(at + 1)) {
    out.push([
      String.fromCharCode(data[at]),
      data.subarray(at + 5, at + 1 + data.readInt32BE(at + 1)),
    ]);
  }
  return out;
}

/**
 * Booting PGlite, migrating it and building the Nest app take a few seconds on 2 cores. Timeouts
 * are explicit: Jest ignores `testTimeout` inside `projects` entries (its default is 5 s).
 */
const BOOT_TIMEOUT = 120_000;

describe('embedded mode (PGlite, no external services)', () => {
  let first: Runtime | undefined;
  let second: Runtime | undefined;
  let password: string;
  let tokenBeforeRestart: string;

  beforeAll(() => {
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      errorOutput.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    console.error = (...args: unknown[]) => {
      errorOutput.push(args.map(String).join(' '));
      consoleError(...args);
    };
    console.warn = (...args: unknown[]) => {
      errorOutput.push(args.map(String).join(' '));
      consoleWarn(...args);
    };
  });
  afterAll(async () => {
    process.stderr.write = write;
    console.error = consoleError;
    console.warn = consoleWarn;
    await first?.stop().catch(() => undefined);
    await second?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it(
    'boots with nothing configured and creates the Demo destination with a generated password',
    async () => {
      const cfg = config();
      expect(cfg.embedded).toBe(true);
      expect(cfg.queueBackend).toBe('postgres');
      first = await createRuntime(cfg, { quiet: true, log: () => undefined });

      expect(first.bootstrap).toEqual({
        destination: EMBEDDED_DESTINATION,
        adminEmail: EMBEDDED_ADMIN_EMAIL,
        generatedPassword: expect.any(String),
      });
      password = first.bootstrap!.generatedPassword!;
      expect(password.length).toBeGreaterThanOrEqual(12);
      // The JWT secret was made and kept beside the data, readable by the owner only.
      const secretFile = join(dataDir, 'jwt-secret');
      expect(existsSync(secretFile)).toBe(true);
      expect(statSync(secretFile).mode & 0o077).toBe(0);

      tokenBeforeRestart = await login(first, EMBEDDED_ADMIN_EMAIL, password);
      const me = await gql(
        first,
        '{ me { destination { name } user { email } } }',
        {},
        { authorization: `Bearer ${tokenBeforeRestart}` },
      );
      expect(me.errors).toBeUndefined();
      expect(me.data.me).toEqual({
        destination: { name: 'Demo' },
        user: { email: 'admin@escale.local' },
      });
    },
    BOOT_TIMEOUT,
  );

  it('keeps what is written through GraphQL', async () => {
    const res = await gql(
      first!,
      'mutation { upsertPlace(name: "Place des Lices", kind: SQUARE) { id name kind } }',
      {},
      { authorization: `Bearer ${tokenBeforeRestart}` },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.upsertPlace).toMatchObject({ name: 'Place des Lices', kind: 'SQUARE' });
  }, 30_000);

  it('runs a job end to end on the PostgreSQL queue backend over PGlite', async () => {
    const queue = first!.app.get<Queue>(getQueueToken(QueueName.MAINTENANCE));
    const dataSource = first!.app.get(DataSource);
    expect(await queue.getJobSchedulers()).toEqual([
      expect.objectContaining({ key: AccessJob.PURGE_EXPIRED_LOGIN_LIMITS, every: 3_600_000 }),
    ]);
    // Let the scheduler's first run (at boot) finish, so only this test's job purges.
    for (let i = 0; i < 300; i++) {
      const counts = await queue.getJobCounts('waiting', 'active', 'prioritized');
      if (Object.values(counts).every((n) => n === 0)) break;
      await sleep(100);
    }
    const now = Date.now();
    await dataSource.query(
      'INSERT INTO rate_limits (key, points, expire) VALUES ($1, 5, $2), ($3, 5, $4), ($5, 5, $6), ($7, 1, $8)',
      [
        'embedded:old-1',
        now - 1000,
        'embedded:old-2',
        now - 5000,
        'embedded:old-3',
        now - 1,
        'embedded:live',
        now + 600_000,
      ],
    );

    // Picked up at once: the worker is woken by the NOTIFY of the add. Without it, BullMQ's
    // PostgreSQL worker would sleep until the next due delayed job (the hourly scheduler's).
    const added = await queue.add(AccessJob.PURGE_EXPIRED_LOGIN_LIMITS, {});
    const job = await finished(queue, added.id!, 10_000);

    expect(job.failedReason).toBeUndefined();
    expect(await job.getState()).toBe('completed');
    const left: Array<{ key: string }> = await dataSource.query(
      "SELECT key FROM rate_limits WHERE key LIKE 'embedded:%'",
    );
    expect(left).toEqual([{ key: 'embedded:live' }]);
    expect(job.returnvalue).toEqual({ deleted: 3 });
  }, 60_000);

  it('keeps each connection’s protocol messages together on the shared PGlite session', async () => {
    // Connection A sends Parse, pauses (as when a batch arrives in two reads), then Bind/Execute/Sync;
    // meanwhile connection B runs its own one-parameter query. PGlite has one session, so B's Parse
    // must not replace A's unnamed statement ("bind message supplies 2 parameters, but prepared
    // statement "" requires 1").
    const url = new URL(first!.config.databaseUrl!);
    const b = new pg.Client({ connectionString: url.toString() });
    await b.connect();
    const a = connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    a.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    const readyForQuery = () => backendMessages(received).filter(([type]) => type === 'Z').length;
    await new Promise((resolve) => a.once('connect', resolve));
    try {
      a.write(
        message(
          '',
          int32(196608),
          str('user'),
          str('postgres'),
          str('database'),
          str('postgres'),
          Buffer.from([0]),
        ),
      );
      while (readyForQuery() < 1) await sleep(10);

      a.write(message('P', str(''), str('SELECT $1::int + $2::int AS sum'), int16(0)));
      await sleep(50);
      const fromB = b.query('SELECT $1::text AS t', ['from B']);
      await sleep(50);
      a.write(
        Buffer.concat([
          message('B', str(''), str(''), int16(0), int16(2), text('40'), text('2'), int16(0)),
          message('D', Buffer.from('P'), str('')),
          message('E', str(''), int32(0)),
          message('S'),
        ]),
      );
      while (readyForQuery() < 2) await sleep(10);

      const replies = backendMessages(received)
        .filter(([type]) => type === 'E' || type === 'D')
        // DataRow: int16 column count, int32 length, the value as text.
        .map(([type, body]) =>
          type === 'D' ? `row: ${body.subarray(6).toString()}` : `error: ${body.toString()}`,
        );
      expect(replies).toEqual(['row: 42']);
      expect((await fromB).rows).toEqual([{ t: 'from B' }]);
    } finally {
      a.end(message('X'));
      await b.end();
    }
  }, 30_000);

  it('gives each connection its own prepared statements and delivers NOTIFY to listeners', async () => {
    const url = first!.config.databaseUrl!;
    const clients = [new pg.Client(url), new pg.Client(url), new pg.Client(url)];
    try {
      await Promise.all(clients.map((c) => c.connect()));
      // pg prepares a named statement once per connection (rate-limiter-flexible names its own).
      for (let round = 0; round < 2; round++) {
        const rows = await Promise.all(
          clients.map((c, i) =>
            c.query({ name: 'same-name', text: 'SELECT $1::int AS n', values: [i + round] }),
          ),
        );
        expect(rows.map((r) => r.rows[0].n)).toEqual([round, 1 + round, 2 + round]);
      }

      const [listener, other, sender] = clients;
      const received: string[] = [];
      listener.on('notification', (n) => received.push(`${n.channel}:${n.payload}`));
      other.on('notification', (n) => received.push(`other got ${n.channel}`));
      await listener.query('LISTEN escale_test');
      await other.query('LISTEN escale_other');
      await sender.query("SELECT pg_notify('escale_test', 'hello')");
      await other.query('UNLISTEN *'); // must not stop the session listening for `listener`
      await sender.query("SELECT pg_notify('escale_test', 'again')");
      for (let i = 0; i < 50 && received.length < 2; i++) await sleep(20);
      expect(received).toEqual(['escale_test:hello', 'escale_test:again']);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  }, 30_000);

  it(
    'restarts on the same data dir without a new bootstrap, keeping data, password and tokens',
    async () => {
      await first!.stop();
      first = undefined;

      second = await createRuntime(config(), { quiet: true, log: () => undefined });
      expect(second.bootstrap).toBeUndefined();

      const token = await login(second, EMBEDDED_ADMIN_EMAIL, password);
      const places = await gql(
        second,
        '{ places { name kind } }',
        {},
        { authorization: `Bearer ${token}` },
      );
      expect(places.errors).toBeUndefined();
      expect(places.data.places).toEqual([{ name: 'Place des Lices', kind: 'SQUARE' }]);

      // Signed before the restart: the secret was read back from the data dir.
      const me = await gql(
        second,
        '{ me { destination { name } user { email } } }',
        {},
        { authorization: `Bearer ${tokenBeforeRestart}` },
      );
      expect(me.errors).toBeUndefined();
      expect(me.data.me).toEqual({
        destination: { name: 'Demo' },
        user: { email: 'admin@escale.local' },
      });

      const destinations = await second.app.get(DataSource).query('SELECT name FROM destinations');
      expect(destinations).toEqual([{ name: 'Demo' }]);
    },
    BOOT_TIMEOUT,
  );

  it('reported no error meanwhile (such as connections interfering on the shared session)', () => {
    // e.g. "bind message supplies 7 parameters, but prepared statement "" requires 1" from
    // BullMQ's moveToActive, or "prepared statement "rate_limits:rlflx-get" already exists".
    const errors = errorOutput.filter((e) => !/ExperimentalWarning|--trace-warnings/.test(e));
    expect(errors).toEqual([]);
  });
});
