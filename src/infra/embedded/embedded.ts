import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { AppConfig } from '../config/config.js';
import { BULLMQ_SCHEMA } from '../queue/queue.module.js';
import { PgliteServer } from './pglite-server.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * The zero-setup mode: a real PostgreSQL (PGlite) in this process, served on a loopback port so
 * TypeORM and BullMQ's PostgreSQL backend use it through `pg` like any server. Data lives in
 * ESCALE_DATA_DIR. Good for a laptop or a demo, not for production (see README).
 */
export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const pgdata = join(resolve(dataDir), 'pgdata');
  mkdirSync(pgdata, { recursive: true });
  const db = await PGlite.create({ dataDir: pgdata });
  // PGlite ignores start-up options such as search_path, and all connections share one session.
  await db.exec(`SET search_path TO public, ${BULLMQ_SCHEMA}`);
  // Not pglite-socket's server: it interleaves the messages of concurrent connections (see PgliteServer).
  const server = new PgliteServer(db, { host: '127.0.0.1', port: 0, maxConnections: 64 });
  const address = await server.start();
  return {
    url: `postgres://postgres@${address}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/** A JWT secret made on first start and kept beside the data, so tokens survive a restart. */
export function embeddedJwtSecret(dataDir: string): string {
  const file = join(resolve(dataDir), 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(resolve(dataDir), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export const EMBEDDED_ADMIN_EMAIL = 'admin@escale.local';
export const EMBEDDED_DESTINATION = 'Demo';

export function embeddedBanner(config: AppConfig): string {
  const line = '='.repeat(78);
  return [
    line,
    ' Escale is running in EMBEDDED mode (no DATABASE_URL set).',
    ` Data: ${resolve(config.dataDir)} — an in-process PostgreSQL (PGlite) and a`,
    ` PostgreSQL-backed job queue${config.redisUrl ? ' (Redis for queues: REDIS_URL is set)' : ''}. Fine for a laptop or a demo; NOT for production.`,
    ' For production set DATABASE_URL=postgres://..., REDIS_URL=redis://..., JWT_SECRET',
    ' (see README.md, "Configuration"), and run more ROLE=worker processes to scale out.',
    line,
  ].join('\n');
}
