import { randomBytes } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { loadConfig } from '../../src/infra/config/config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabase, REDIS_URL } from '../support/database.js';

// First-boot bootstrap from ESCALE_ADMIN_EMAIL / ESCALE_ADMIN_PASSWORD / ESCALE_DESTINATION_NAME,
// on fresh migrated databases, through createRuntime as main.ts uses it. ROLE=api keeps the
// runtimes light (no workers); the bootstrap runs in every role but `worker`.
// Explicit timeouts: Jest ignores `testTimeout` inside `projects` entries (its default is 5 s).
const BOOT_TIMEOUT = 120_000;
const jwtSecret = randomBytes(32).toString('hex');

function config(databaseUrl: string, env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: 'test',
    ROLE: 'api',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_BACKEND: 'redis',
    JWT_SECRET: jwtSecret,
    ESCALE_QUEUE_PREFIX: `escale-test-bootstrap-${randomBytes(4).toString('hex')}`,
    MIGRATIONS: 'skip',
    LOG_LEVEL: 'silent',
    ESCALE_ADMIN_EMAIL: 'Office@Rennes-Tourisme.example',
    ESCALE_ADMIN_PASSWORD: 'first boot password',
    ESCALE_DESTINATION_NAME: 'Rennes',
    ...env,
  });
}

const boot = (cfg: ReturnType<typeof config>) =>
  createRuntime(cfg, { quiet: true, log: () => undefined });

async function rows(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const destinations = await client.query<{ name: string }>(
      'SELECT name FROM destinations ORDER BY name',
    );
    const users = await client.query<{ email: string; role: string; destination: string }>(
      'SELECT u.email, u.role, d.name AS destination FROM users u JOIN destinations d ON d.id = u.destination_id ORDER BY u.email',
    );
    return { destinations: destinations.rows, users: users.rows };
  } finally {
    await client.end();
  }
}

async function login(runtime: Runtime, email: string, password: string) {
  const res = await request(runtime.app.getHttpServer())
    .post('/graphql')
    .send({
      query:
        'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
      variables: { e: email, p: password },
    });
  return res.body as {
    data: { login: { accessToken: string } } | null;
    errors?: Array<{ extensions: { code: string } }>;
  };
}

describe('first-boot bootstrap from the environment', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(runtimes.map((r) => r.stop()));
    await db?.drop();
  }, 60_000);

  it(
    'creates the configured destination and its ADMIN on a database without any',
    async () => {
      expect(await rows(db.url)).toEqual({ destinations: [], users: [] });

      const runtime = await boot(config(db.url));
      runtimes.push(runtime);

      // Nothing generated: the password is the configured one and is never echoed back.
      expect(runtime.bootstrap).toEqual({
        destination: 'Rennes',
        adminEmail: 'Office@Rennes-Tourisme.example',
      });
      expect(await rows(db.url)).toEqual({
        destinations: [{ name: 'Rennes' }],
        users: [{ email: 'office@rennes-tourisme.example', role: 'ADMIN', destination: 'Rennes' }],
      });
      const res = await login(runtime, 'office@rennes-tourisme.example', 'first boot password');
      expect(res.errors).toBeUndefined();
      expect(res.data?.login.accessToken).toEqual(expect.any(String));
    },
    BOOT_TIMEOUT,
  );

  it(
    'changes nothing on a later boot, even with other values configured',
    async () => {
      const before = await rows(db.url);
      const again = await boot(config(db.url));
      runtimes.push(again);
      expect(again.bootstrap).toBeUndefined();
      expect(await rows(db.url)).toEqual(before);

      const other = await boot(
        config(db.url, {
          ESCALE_ADMIN_EMAIL: 'someone-else@example.org',
          ESCALE_ADMIN_PASSWORD: 'another password entirely',
          ESCALE_DESTINATION_NAME: 'Saint-Malo',
        }),
      );
      runtimes.push(other);
      expect(other.bootstrap).toBeUndefined();
      expect(await rows(db.url)).toEqual(before);
      // The configured password is not reset by a later boot.
      expect(
        (await login(other, 'office@rennes-tourisme.example', 'first boot password')).errors,
      ).toBeUndefined();
      expect(
        (await login(other, 'someone-else@example.org', 'another password entirely')).errors?.[0]
          .extensions.code,
      ).toBe('UNAUTHENTICATED');
    },
    BOOT_TIMEOUT,
  );
});

describe('two processes booting at once on a fresh database', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(runtimes.map((r) => r.stop()));
    await db?.drop();
  }, 60_000);

  it(
    'creates exactly one destination and one admin',
    async () => {
      const booted = await Promise.allSettled([boot(config(db.url)), boot(config(db.url))]);
      for (const b of booted) if (b.status === 'fulfilled') runtimes.push(b.value);
      expect(booted.map((b) => b.status)).toEqual(['fulfilled', 'fulfilled']);

      const bootstraps = runtimes.map((r) => r.bootstrap).filter((b) => b !== undefined);
      expect(bootstraps).toEqual([
        { destination: 'Rennes', adminEmail: 'Office@Rennes-Tourisme.example' },
      ]);
      expect(await rows(db.url)).toEqual({
        destinations: [{ name: 'Rennes' }],
        users: [{ email: 'office@rennes-tourisme.example', role: 'ADMIN', destination: 'Rennes' }],
      });
    },
    BOOT_TIMEOUT,
  );
});
