import pg from 'pg';
import { AmbassadorScoresService } from '../src/modules/ambassadors/ambassador-scores.service.js';
import { DestinationsService } from '../src/modules/destinations/destinations.service.js';
import { benchRuntime, bulkLoad, report } from './harness.js';

const VISITORS = 1_000_000;
const INTERACTIONS_PER_VISITOR = 10;
const LOADED_TABLES = ['visitors', 'social_identities', 'interactions', 'segment_facts'];

/**
 * One destination's social population, generated inside PostgreSQL (`bulkLoad`: INSERT … SELECT
 * generate_series, triggers and plain indexes off while loading, indexes rebuilt after):
 * `visitors` visitors with one X identity each (followers log-uniform up to ~8,000), and
 * `interactions` interactions over the last 120 days by authors drawn with a skew (a few very
 * active people, a long tail): 30% posts (POST, MENTION, QUOTE, REPLY) with metrics and
 * sentiment, 50% likes and 20% retweets of those posts.
 */
async function generate(
  client: pg.ClientBase,
  destinationId: string,
  visitors: number,
  interactions: number,
  log: (line: string) => void,
) {
  const { step, finish } = await bulkLoad(client, LOADED_TABLES, log);

  await step(
    'people',
    `CREATE TEMPORARY TABLE bench_people AS
     SELECT i, gen_random_uuid() AS id, gen_random_uuid() AS identity_id
       FROM generate_series(1, $1::int) AS i`,
    [visitors],
  );
  await step(
    'visitors',
    `INSERT INTO visitors (id, destination_id, tags, created_at, updated_at)
     SELECT id, $1, ARRAY['prospect'], now() - make_interval(secs => ($2 - i) * 90),
            now() - make_interval(secs => ($2 - i) * 90)
       FROM bench_people ORDER BY i`,
    [destinationId, visitors],
  );
  await step(
    'social_identities',
    `INSERT INTO social_identities (id, destination_id, visitor_id, provider, external_id, handle,
                                    followers_count, following_count, post_count)
     SELECT identity_id, $1, id, 'TWITTER', 'u' || i, 'user_' || i,
            floor(exp(random() * 9))::int, floor(exp(random() * 7))::int, floor(random() * 5000)::int
       FROM bench_people ORDER BY i`,
    [destinationId],
  );
  const posts = Math.round(interactions * 0.3);
  // Author n = floor(visitors × r²): the first visitors post far more than the last.
  await step(
    'interactions: posts',
    `INSERT INTO interactions (destination_id, provider, external_id, kind, occurred_at,
                               author_identity_id, visitor_id, likes, shares, replies, quotes,
                               sentiment, referenced_external_id)
     SELECT $1, 'TWITTER', 'p' || k,
            (ARRAY['POST', 'POST', 'MENTION', 'QUOTE', 'REPLY'])[1 + floor(random() * 5)::int]::interaction_kind,
            now() - make_interval(secs => random() * 120 * 86400),
            g.identity_id, g.id,
            floor(random() ^ 3 * 60)::int, floor(random() ^ 4 * 25)::int,
            floor(random() ^ 4 * 8)::int, floor(random() ^ 5 * 5)::int,
            CASE WHEN random() < 0.8 THEN round((random() * 2 - 1)::numeric, 2)::float8 END,
            NULL
       FROM (SELECT k, 1 + floor($3::int * random() ^ 2)::int AS n
               FROM generate_series(1, $2::int) AS k) x
       JOIN bench_people g ON g.i = x.n`,
    [destinationId, posts, visitors],
  );
  await step(
    'interactions: likes and retweets',
    `INSERT INTO interactions (destination_id, provider, external_id, kind, occurred_at,
                               author_identity_id, visitor_id, referenced_external_id)
     SELECT $1, 'TWITTER', 'r' || k,
            (CASE WHEN random() < 0.714 THEN 'LIKE' ELSE 'RETWEET' END)::interaction_kind,
            now() - make_interval(secs => random() * 110 * 86400),
            g.identity_id, g.id, 'p' || (1 + floor(random() * $4::int)::int)
       FROM (SELECT k, 1 + floor($3::int * random() ^ 2)::int AS n
               FROM generate_series(1, $2::int) AS k) x
       JOIN bench_people g ON g.i = x.n`,
    [destinationId, interactions - posts, visitors, posts],
  );
  // Triggers are off while loading: the segments' facts (which a recompute's score writes keep
  // up to date) are filled from their definition, as the triggers would have.
  await step(
    'segment_facts',
    'INSERT INTO segment_facts SELECT * FROM segment_facts_expected WHERE destination_id = $1',
    [destinationId],
  );
  await client.query('DROP TABLE bench_people');
  await finish();
}

/**
 * The baseline: one hand-written aggregation of the same inputs (per active visitor: posts,
 * shares and quotes received counting referencing interactions, engagement received, mean
 * sentiment, last post; followers), without percentiles, tiers, history or writes. Its result
 * sums every aggregate, so PostgreSQL cannot skip the references' join as unused.
 */
const BASELINE_SQL = `
WITH refs AS (
  SELECT provider, referenced_external_id AS ext,
         count(*) FILTER (WHERE kind = 'RETWEET') AS rt, count(*) FILTER (WHERE kind = 'LIKE') AS lk
    FROM interactions
   WHERE destination_id = $1 AND referenced_external_id IS NOT NULL
     AND occurred_at >= now() - interval '90 days'
   GROUP BY 1, 2
), acts AS (
  SELECT i.visitor_id,
         count(*) FILTER (WHERE i.kind IN ('POST', 'MENTION', 'QUOTE', 'REPLY')) AS posts,
         sum(greatest(i.shares, coalesce(x.rt, 0)) + i.quotes)
           FILTER (WHERE i.kind IN ('POST', 'MENTION', 'QUOTE', 'REPLY')) AS amplified,
         sum(greatest(i.likes, coalesce(x.lk, 0)) + greatest(i.shares, coalesce(x.rt, 0))
             + i.replies + i.quotes) FILTER (WHERE i.kind IN ('POST', 'MENTION', 'QUOTE', 'REPLY')) AS received,
         avg(i.sentiment) FILTER (WHERE i.kind IN ('POST', 'MENTION', 'QUOTE', 'REPLY')) AS sentiment,
         max(i.occurred_at) FILTER (WHERE i.kind IN ('POST', 'MENTION', 'QUOTE', 'REPLY')) AS last_post
    FROM interactions i
    LEFT JOIN refs x ON x.provider = i.provider AND x.ext = i.external_id
   WHERE i.destination_id = $1 AND i.visitor_id IS NOT NULL
     AND i.occurred_at >= now() - interval '90 days'
   GROUP BY i.visitor_id
)
SELECT count(*)::int AS n, sum(a.posts)::bigint AS posts, sum(a.amplified)::bigint AS amplified,
       sum(a.received)::bigint AS received, avg(a.sentiment)::float8 AS sentiment,
       max(a.last_post) AS last_post, sum(s.followers_count)::bigint AS followers
  FROM acts a LEFT JOIN social_identities s ON s.visitor_id = a.visitor_id AND s.destination_id = $1`;

export async function benchScores(): Promise<void> {
  const visitors = Number(process.env.SCORES_BENCH_VISITORS) || VISITORS;
  const interactions =
    Number(process.env.SCORES_BENCH_INTERACTIONS) || visitors * INTERACTIONS_PER_VISITOR;
  const { runtime, url, drop } = await benchRuntime();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const f = (n: number) => n.toLocaleString('en');
  try {
    const { destination } = await runtime.app.get(DestinationsService).createDestination({
      name: 'Bench',
      adminEmail: 'bench@example.org',
      adminPassword: 'bench password 1',
    });
    console.log(`generating ${f(visitors)} visitors and ${f(interactions)} interactions…`);
    const started = process.hrtime.bigint();
    const client = await pool.connect();
    try {
      await generate(client, destination.id, visitors, interactions, (l) => console.log(l));
    } finally {
      client.release();
    }
    console.log(`generated in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s`);

    const scores = runtime.app.get(AmbassadorScoresService);
    const time = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
      const t = process.hrtime.bigint();
      const r = await fn();
      return [Number(process.hrtime.bigint() - t) / 1e9, r];
    };
    // The baseline gets the recompute's memory for its hash aggregates too.
    const [baseline, base] = await time(async () => {
      const c = await pool.connect();
      try {
        await c.query("BEGIN; SET LOCAL work_mem = '256MB'; SET LOCAL jit = off");
        const { rows } = await c.query<{ n: number }>(BASELINE_SQL, [destination.id]);
        await c.query('COMMIT');
        return rows[0];
      } finally {
        c.release();
      }
    });
    const [first, r1] = await time(() => scores.recompute(destination.id));
    const [second, r2] = await time(() => scores.recompute(destination.id));
    const { rows: tiers } = await pool.query<{ tier: string; n: number }>(
      `SELECT tier::text, count(*)::int AS n FROM ambassador_scores WHERE destination_id = $1
        GROUP BY tier ORDER BY tier`,
      [destination.id],
    );
    console.log(
      `active visitors: ${f(base.n)} (baseline) / ${f(r1.scored)} (scored); tiers: ${tiers
        .map((t) => `${t.tier} ${f(t.n)}`)
        .join(', ')}`,
    );
    const phases = (r: { phases: Record<string, number> }) =>
      Object.entries(r.phases)
        .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`)
        .join(', ');
    console.log(
      `first recompute: ${first.toFixed(1)} s (${f(r1.updated)} rows written, ${f(r1.changes)} tier changes, ${f(r1.promotions)} promotions; ${phases(r1)}); ` +
        `again over the same data: ${second.toFixed(1)} s (${f(r2.updated)} rows, ${f(r2.changes)} changes; ${phases(r2)})`,
    );
    report('recompute (first)', first, baseline, 's');
    report('recompute (unchanged data)', second, baseline, 's');
    console.log(
      `baseline = one hand-written aggregation of the same inputs: ${baseline.toFixed(1)} s. Target: < 60 s at ${f(VISITORS)} visitors${
        visitors === VISITORS
          ? ` (${first < 60 && second < 60 ? 'met' : 'MISSED'})`
          : ': not this size'
      }.`,
    );
  } finally {
    await pool.end();
    await drop();
  }
}
