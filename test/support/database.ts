import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import { createDataSource, runMigrations } from '../../src/infra/database/data-source.js';

/** The server the tests use: DATABASE_URL's server, default the local one. */
export const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const TEMPLATE_LOCK = 727_413_900;

export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** One template per set of migrations, by content: an edited migration gets a fresh template. */
function templateName(): string {
  const names = migrations.map((m) => `${m.name}:${m.toString()}`).join(',');
  return `escale_tpl_${createHash('sha256').update(names).digest('hex').slice(0, 12)}`;
}

/**
 * A fresh database for one test file, copied from a template on which the real migrations ran.
 * Files running in parallel never share data. Call `drop()` in afterAll.
 */
export async function createTestDatabase(): Promise<{
  name: string;
  url: string;
  drop(): Promise<void>;
}> {
  const template = templateName();
  const name = `escale_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    // Serialised: building the template, and copying it (a copy needs the template idle).
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (!exists.rowCount) {
      const building = `${template}_build`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      const ds = createDataSource(databaseUrl(building), { extra: { max: 2 } });
      await ds.initialize();
      await runMigrations(ds);
      await ds.destroy();
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
    }
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]).catch(() => undefined);
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
