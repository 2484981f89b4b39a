/**
 * `npm run bench -- <name>`: each benchmark prints its own figure and the same work done by a
 * plain baseline in the same run, as a ratio. Benchmarks need PostgreSQL (and Redis for queue
 * ones) at DATABASE_URL / REDIS_URL, like the tests; they create and drop their own database.
 */
import 'reflect-metadata';
import { benchAuth } from './auth.bench.js';
import { benchImport } from './import.bench.js';
import { benchSegments } from './segments.bench.js';
import { benchIngest } from './ingest.bench.js';
import { benchScores } from './scores.bench.js';
import { benchSend } from './send.bench.js';
import { benchWall } from './wall.bench.js';
import { benchFanout } from './fanout.bench.js';

const BENCHMARKS: Record<string, () => Promise<void>> = {
  auth: benchAuth,
  import: benchImport,
  segments: benchSegments,
  ingest: benchIngest,
  scores: benchScores,
  send: benchSend,
  wall: benchWall,
  fanout: benchFanout,
};

async function main() {
  const names = process.argv.slice(2);
  const selected = names.length ? names : Object.keys(BENCHMARKS);
  const unknown = selected.filter((n) => !BENCHMARKS[n]);
  if (unknown.length) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHMARKS).join(', ')}`,
    );
    process.exit(2);
  }
  for (const name of selected) {
    console.log(`\n== ${name}`);
    await BENCHMARKS[name]();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
