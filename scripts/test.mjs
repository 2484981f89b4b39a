#!/usr/bin/env node
// `npm test`: make sure PostgreSQL and Redis are reachable (starting local ones if they are
// installed but stopped), then run Jest in native ESM mode with the arguments given.
//   npm test                          all projects
//   npm test -- --selectProjects unit  one project (any Jest argument works)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Redis } from 'ioredis';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const lastError = {}; // service name -> message of the last failed probe

async function postgresUp() {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    lastError.PostgreSQL = error.message;
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisUp() {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let connectionError;
  client.on('error', (error) => (connectionError = error));
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch (error) {
    lastError.Redis = (connectionError ?? error).message;
    return false;
  } finally {
    client.disconnect();
  }
}

function installed(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

function run(command, commandArgs) {
  console.log(`$ ${command} ${commandArgs.map((a) => a || '""').join(' ')}`);
  const result = spawnSync(command, commandArgs, { stdio: 'inherit' });
  if (result.status === 0) return true;
  console.warn(`(${command} exited with ${result.status ?? result.error})`);
  return false;
}

// Only a server on this machine can be started, and only with the standard ports.
function isLocal(url, port) {
  const { hostname, port: urlPort } = new URL(url);
  return ['127.0.0.1', 'localhost', '[::1]'].includes(hostname) && (urlPort || port) === port;
}

function startPostgres() {
  if (!isLocal(DATABASE_URL, '5432') || !installed('pg_ctlcluster')) return false;
  const version = existsSync('/etc/postgresql') && readdirSync('/etc/postgresql').sort().at(-1);
  if (!version) return false;
  return run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
}

function startRedis() {
  if (!isLocal(REDIS_URL, '6379') || !installed('redis-server')) return false;
  for (const dir of ['/var/lib/redis', '/var/log/redis']) mkdirSync(dir, { recursive: true });
  // prettier-ignore
  return run('redis-server', [
    '--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '',
    '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log',
  ]);
}

async function ensure(name, isUp, start) {
  if (await isUp()) return true;
  console.log(`${name} is not reachable; trying to start a local one...`);
  if (!start()) return false;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(500)) {
    if (await isUp()) return true;
  }
  return false;
}

async function main() {
  // Listing tests or printing help needs no services.
  const needsServices = !args.some((a) => ['--listTests', '--help', '-h', '--version'].includes(a));
  if (needsServices) {
    const [pgOk, redisOk] = await Promise.all([
      ensure('PostgreSQL', postgresUp, startPostgres),
      ensure('Redis', redisUp, startRedis),
    ]);
    if (!pgOk || !redisOk) {
      console.error('\nThe tests need a real PostgreSQL and Redis:');
      if (!pgOk) {
        console.error(
          `  - PostgreSQL >= 14 not reachable at ${DATABASE_URL} (${lastError.PostgreSQL})`,
        );
        console.error('    install it (Debian: apt-get install postgresql) and start it, or set');
        console.error('    DATABASE_URL=postgres://user:password@host:5432/database');
      }
      if (!redisOk) {
        console.error(`  - Redis >= 6.2 not reachable at ${REDIS_URL} (${lastError.Redis})`);
        console.error('    install it (Debian: apt-get install redis-server) and start it, or set');
        console.error('    REDIS_URL=redis://host:6379');
      }
      return 1;
    }
  }

  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  const jest = spawn(
    process.execPath,
    ['--experimental-vm-modules', join(root, 'node_modules/jest/bin/jest.js'), ...args],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        DATABASE_URL,
        REDIS_URL,
        ESCALE_TEST_RUNNER: '1',
        NODE_OPTIONS: nodeOptions.includes('--experimental-vm-modules')
          ? nodeOptions
          : `${nodeOptions} --experimental-vm-modules`.trim(),
      },
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => jest.kill(signal));
  return new Promise((resolve) =>
    jest.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
  );
}

// Guard against recursion if a Jest config ever matches this file (`test.mjs` fits Jest's
// default testMatch): Jest would import it and spawn Jest again, forever.
if (process.env.ESCALE_TEST_RUNNER) {
  console.error('scripts/test.mjs must not run under itself: exclude it from Jest testMatch.');
} else {
  process.exitCode = await main();
}
