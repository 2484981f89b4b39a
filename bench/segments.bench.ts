import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { AuthContext } from '../src/modules/access/auth-context.js';
import { Role } from '../src/modules/access/user.entity.js';
import { DestinationsService } from '../src/modules/destinations/destinations.service.js';
import { STRONG_INTEREST_SCORE } from '../src/modules/interests/interest-scores.service.js';
import { InterestsService } from '../src/modules/interests/interests.service.js';
import type { SegmentFilterLike } from '../src/modules/segments/segment-filter.compiler.js';
import { SegmentsService } from '../src/modules/segments/segments.service.js';
import { benchRuntime, bulkLoad } from './harness.js';

const VISITORS = 1_000_000;
const LOADED_TABLES = [
  'visitors',
  'visitor_interests',
  'stays',
  'consents',
  'ambassador_scores',
  'segment_facts',
];

/** [country, locale, time zone, weight %]: a Breton seaside destination's audience. */
const PLACES: [string | null, string | null, string | null, number][] = [
  ['FR', 'fr-FR', 'Europe/Paris', 44],
  ['GB', 'en-GB', 'Europe/London', 11],
  ['DE', 'de-DE', 'Europe/Berlin', 9],
  ['BE', 'fr-BE', 'Europe/Brussels', 4],
  ['BE', 'nl-BE', 'Europe/Brussels', 2],
  ['NL', 'nl-NL', 'Europe/Amsterdam', 5],
  ['ES', 'es-ES', 'Europe/Madrid', 4],
  ['IT', 'it-IT', 'Europe/Rome', 3],
  ['CH', 'fr-CH', 'Europe/Zurich', 2],
  ['CH', 'de-CH', 'Europe/Zurich', 1],
  ['US', 'en-US', 'America/New_York', 3],
  ['CA', 'fr-CA', 'America/Toronto', 2],
  ['IE', 'en-IE', 'Europe/Dublin', 1],
  ['AT', 'de-AT', 'Europe/Vienna', 1],
  ['PT', 'pt-PT', 'Europe/Lisbon', 1],
  ['PL', 'pl-PL', 'Europe/Warsaw', 1],
  ['SE', 'sv-SE', 'Europe/Stockholm', 1],
  ['JP', 'ja-JP', 'Asia/Tokyo', 1],
  [null, 'fr-FR', null, 2],
  [null, null, null, 2],
];

/** [tag, probability]: 0 to a few tags each. */
const TAGS: [string, number][] = [
  ['newsletter', 0.4],
  ['salon-2024', 0.06],
  ['salon-2025', 0.08],
  ['famille', 0.15],
  ['couple', 0.12],
  ['groupe', 0.03],
  ['vip', 0.01],
  ['presse', 0.002],
  ['partenaire', 0.005],
  ['camping', 0.07],
  ['velo', 0.05],
  ['golf', 0.02],
  ['voile', 0.03],
  ['seminaire', 0.01],
];

/**
 * Probability that a visitor has a score for the n-th interest of the taxonomy: a few popular
 * interests, a long tail (weights 1/(n+2)), about 5 interests per visitor in all.
 */
function interestOdds(n: number): number[] {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 2));
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => Math.min(0.9, (w * 5) / sum));
}

/** Spreads `[value..., weight]` rows into parallel arrays with one slot per weight point. */
function weighted<T extends unknown[]>(rows: [...T, number][]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: rows[0].length - 1 }, () => []);
  for (const row of rows) {
    const weight = row[row.length - 1] as number;
    for (let i = 0; i < weight; i++) row.slice(0, -1).forEach((v, c) => columns[c].push(v));
  }
  return columns;
}

export interface Generated {
  seconds: number;
  counts: Record<string, number>;
}

/**
 * One destination's population, generated inside PostgreSQL (INSERT … SELECT generate_series:
 * nothing crosses the wire): visitors, interest scores, stays around now, consent records.
 *
 * The people are drawn first (a temporary table), then their scores, stays and consents, then
 * the visitor rows themselves, with the facts the database caches on them for segments computed
 * by the same functions the triggers and the score refresh use (migration SegmentsPerformance):
 * one write per row, no rewrite. Triggers (foreign keys, caches) are off while loading
 * (`bulkLoad`).
 */
export async function generatePopulation(
  client: pg.ClientBase,
  destinationId: string,
  interestIds: string[],
  visitors = VISITORS,
  log: (line: string) => void = () => undefined,
): Promise<Generated> {
  const started = process.hrtime.bigint();
  const { step, finish } = await bulkLoad(client, LOADED_TABLES, log, [destinationId]);

  const [countries, locales, zones] = weighted(PLACES);
  await step(
    'people',
    `CREATE TEMPORARY TABLE bench_people AS
     SELECT i, gen_random_uuid() AS id, 1 + floor(random() * cardinality($1::text[]))::int AS p,
            CASE WHEN random() < 0.002 THEN 'erased'
                 WHEN random() < 0.1 THEN 'prospect' ELSE 'person' END AS kind,
            -- one new visitor every 90 s over ~3 years, oldest first (insertion order)
            now() - make_interval(secs => ($2 - i) * 90) AS created_at,
            ARRAY(SELECT t FROM unnest($3::text[], $4::float8[]) AS x(t, odds)
                   WHERE random() < odds AND i > 0) AS tags
       FROM generate_series(1, $2::int) AS i`,
    [countries, visitors, TAGS.map((t) => t[0]), TAGS.map((t) => t[1])],
  );
  await client.query('CREATE INDEX ON bench_people (id)');
  await step(
    'visitor_interests',
    // (OFFSET 0 keeps each lateral subquery per person: flattened, its random() would be drawn
    // once per value for everyone.)
    `INSERT INTO visitor_interests (destination_id, visitor_id, interest_id, score, evidence_count,
                                    last_evidence_at, sources, computed_at)
     SELECT $1, g.id, r.interest_id, round(r.score::numeric, 4)::float8,
            1 + floor(r.score * 6)::int, now() - make_interval(days => floor(r.age * 365)::int),
            (ARRAY['{DECLARED}', '{HASHTAG}', '{HASHTAG,KEYWORD}', '{PLACE,STAY}',
                   '{KEYWORD}'])[1 + floor(r.age * 5)::int]::text[],
            now()
       FROM (SELECT id, i FROM bench_people ORDER BY id) g
      CROSS JOIN LATERAL (SELECT x.interest_id, 0.01 + 0.98 * random() AS score, random() AS age
                            FROM unnest($2::uuid[], $3::float8[]) AS x(interest_id, odds)
                           WHERE random() < x.odds AND g.i > 0 OFFSET 0) r`,
    [destinationId, interestIds, interestOdds(interestIds.length)],
  );
  // 0 to 3 stays each (1.5 on average), from 14 months ago to 7 months ahead; 1 to 14 nights.
  await step(
    'stays',
    `INSERT INTO stays (destination_id, visitor_id, arrival_at, departure_at, party_size, status, source)
     SELECT $1, id, arrival_at, arrival_at + make_interval(days => nights), 1 + nights % 5,
            (CASE WHEN r < 0.08 THEN 'CANCELLED'
                  WHEN arrival_at + make_interval(days => nights) < now() AND r < 0.8 THEN 'COMPLETED'
                  ELSE 'BOOKED' END)::stay_status,
            'bench'
       FROM (SELECT g.id,
                    now() + make_interval(secs => (random() * 1.65 - 1.15) * 365 * 86400) AS arrival_at,
                    1 + floor(random() * 14)::int AS nights, random() AS r
               FROM (SELECT id, floor(random() * 4)::int AS n FROM bench_people
                      WHERE kind <> 'erased' ORDER BY id) g
              CROSS JOIN LATERAL generate_series(1, g.n) AS k) s`,
  );
  // E-mail marketing for 70% (80% granted), profiling for 60% (85%), X DMs for 5%; then a newer
  // record (a change of mind) for 12% of them, so "the newest record wins" matters.
  await step(
    'consents',
    `INSERT INTO consents (destination_id, visitor_id, channel, purpose, granted, source, recorded_at)
     SELECT $1, g.id, c.channel::channel, c.purpose::consent_purpose, random() < c.granted,
            'bench', g.created_at + interval '1 minute'
       FROM (SELECT * FROM bench_people ORDER BY id) g
      CROSS JOIN LATERAL (
             SELECT * FROM (VALUES ('EMAIL', 'MARKETING', 0.7, 0.8), (NULL, 'PROFILING', 0.6, 0.85),
                                   ('TWITTER_DM', 'MARKETING', 0.05, 0.7)) AS c(channel, purpose, odds, granted)
              WHERE random() < c.odds AND g.i > 0 OFFSET 0) c
      WHERE g.kind <> 'erased'`,
  );
  await step(
    'consent changes',
    `INSERT INTO consents (destination_id, visitor_id, channel, purpose, granted, source, recorded_at)
     SELECT destination_id, visitor_id, channel, purpose, NOT granted, 'bench',
            recorded_at + make_interval(days => 1 + floor(random() * 300)::int)
       FROM consents
      WHERE destination_id = $1 AND random() < 0.12`,
  );
  // The cached facts, set-based here (checked against their definitions below).
  await step(
    'visitors',
    `WITH strong AS (
       SELECT visitor_id, array_agg(interest_id ORDER BY interest_id) AS ids
         FROM visitor_interests WHERE destination_id = $1 AND score >= $5 GROUP BY visitor_id
     ), stayed AS (
       SELECT visitor_id,
              range_agg(tstzrange(arrival_at, departure_at)) FILTER (WHERE status = 'BOOKED') AS booked,
              range_agg(tstzrange(departure_at, departure_at, '[]'))
                FILTER (WHERE status <> 'CANCELLED') AS departures
         FROM stays WHERE destination_id = $1 GROUP BY visitor_id
     ), consented AS (
       SELECT visitor_id, array_agg(key ORDER BY key) FILTER (WHERE granted) AS keys
         FROM (SELECT DISTINCT ON (visitor_id, purpose, channel) visitor_id, granted,
                      consent_key(channel::text, purpose::text) AS key
                 FROM consents WHERE destination_id = $1
                ORDER BY visitor_id, purpose, channel, recorded_at DESC, id DESC) c
        GROUP BY visitor_id
     )
     INSERT INTO visitors (id, destination_id, first_name, last_name, email, phone, locale,
                           country_code, time_zone, tags, erased_at, created_at, updated_at,
                           strong_interests, granted_consents, booked_stays, stay_departures)
     SELECT g.id, $1,
            CASE WHEN kind = 'person' THEN (ARRAY['Anne','Bastien','Chloé','Denis','Élodie','Fanch','Gwen','Hugo','Ines','Jakob','Kate','Luca'])[1 + i % 12] END,
            CASE WHEN kind = 'person' THEN (ARRAY['Le Goff','Martin','Riou','Tanguy','Le Gall','Morvan','Smith','Müller','Rossi','Janssens'])[1 + (i / 12) % 10] END,
            CASE WHEN kind = 'person' THEN 'visitor' || i || '@example.org' END,
            CASE WHEN kind = 'person' AND i % 3 = 0 THEN '+3361' || lpad(i::text, 7, '0') END,
            ($3::text[])[p], ($2::text[])[p], ($4::text[])[p],
            CASE WHEN kind = 'prospect' THEN tags || 'prospect'::text ELSE tags END,
            CASE WHEN kind = 'erased' THEN created_at + interval '200 days' END,
            created_at, created_at,
            coalesce(strong.ids, '{}'), coalesce(consented.keys, '{}'),
            coalesce(stayed.booked, '{}'), coalesce(stayed.departures, '{}')
       FROM bench_people g
       LEFT JOIN strong ON strong.visitor_id = g.id
       LEFT JOIN stayed ON stayed.visitor_id = g.id
       LEFT JOIN consented ON consented.visitor_id = g.id
      ORDER BY g.i`,
    [destinationId, countries, locales, zones, STRONG_INTEREST_SCORE],
  );
  // Ambassador scores for the socially active third (the others have no row: NONE / 0), skewed
  // as engagement is: most are low, a few high. Tiers by the default thresholds (FAN ≥ 25,
  // ADVOCATE ≥ 50, AMBASSADOR ≥ 75 with at least 3 posts); the components are plausible, not
  // consistent with the score (segments read only score and tier).
  await step(
    'ambassador_scores',
    `INSERT INTO ambassador_scores (destination_id, visitor_id, score, tier, reach, ratio,
                                    amplification, engagement, activity, sentiment, recency,
                                    posts, computed_at)
     SELECT $1, id, score,
            (CASE WHEN score >= 75 AND posts >= 3 THEN 'AMBASSADOR' WHEN score >= 50 THEN 'ADVOCATE'
                  WHEN score >= 25 THEN 'FAN' ELSE 'NONE' END)::ambassador_tier,
            random(), random(), random(), random(), random(), random(), random(), posts, now()
       FROM (SELECT id, round((100 * power(random(), 4))::numeric, 2)::float8 AS score,
                    floor(power(random(), 2) * 12)::int AS posts
               FROM bench_people WHERE kind <> 'erased' AND random() < 0.3 ORDER BY id) a`,
  );
  await client.query('DROP TABLE bench_people');
  // What the triggers keep (off while loading): the projection they write, by its definition.
  await step(
    'segment_facts',
    'INSERT INTO segment_facts SELECT * FROM segment_facts_expected WHERE destination_id = $1',
  );
  await finish();
  await checkCachedFacts(client, destinationId);
  const counts: Record<string, number> = {};
  for (const table of LOADED_TABLES) {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE destination_id = $1`,
      [destinationId],
    );
    counts[table] = rows[0].n;
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, counts };
}

/**
 * The facts cached on 0.2% of the visitors (2,000), drawn at random, equal their definitions (what the score refresh and
 * the triggers write): the generator is no shortcut, and the cache is what it claims to be.
 */
async function checkCachedFacts(client: pg.ClientBase, destinationId: string): Promise<void> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT v.id FROM visitors v TABLESAMPLE BERNOULLI (0.2) REPEATABLE (42)
      WHERE v.destination_id = $1
        AND (v.granted_consents IS DISTINCT FROM granted_consents_of(v.id)
          OR v.booked_stays IS DISTINCT FROM booked_stays_of(v.id)
          OR v.stay_departures IS DISTINCT FROM stay_departures_of(v.id)
          OR v.strong_interests IS DISTINCT FROM ARRAY(
               SELECT vi.interest_id FROM visitor_interests vi
                WHERE vi.visitor_id = v.id AND vi.score >= $2 ORDER BY vi.interest_id))`,
    [destinationId, STRONG_INTEREST_SCORE],
  );
  if (rows.length) throw new Error(`cached facts differ from their definitions: ${rows[0].id}`);
  const { rows: facts } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT * FROM segment_facts_expected WHERE destination_id = $1
       EXCEPT ALL SELECT * FROM segment_facts WHERE destination_id = $1) x`,
    [destinationId],
  );
  if (facts[0].n) throw new Error(`${facts[0].n} segment_facts rows differ from their definition`);
}

// ------------------------------------------------------------------------------ the filters

/** Interests by popularity at a seaside destination (the first is the most common). */
const POPULARITY = [
  'gastronomy',
  'beaches-water',
  'nature-outdoors',
  'heritage',
  'family',
  'cycling',
  'events',
  'music-festivals',
  'museums-arts',
  'wine-drinks',
  'architecture',
  'sport',
  'shopping-markets',
  'wellbeing',
  'nightlife',
];

const DAY_MS = 86_400_000;

/** Adds a value to the statement and answers its placeholder, cast. */
type Add = (value: unknown, cast: string) => string;

/** The interests' bits in segment_facts.interest_bits, by slug (the bench's 15 all have one). */
type Bits = (...slugs: string[]) => string;

/**
 * A filter, and the same question written by hand for the pg baseline: SQL over `f`
 * (segment_facts), `$1` being the destination (subqueries name it rather than `f.destination_id`:
 * an uncorrelated IN becomes a hashed semi-join, a correlated one runs once per visitor).
 */
interface Case {
  name: string;
  filter: SegmentFilterLike;
  where: (add: Add, ids: (...slugs: string[]) => string[], bits: Bits) => string;
  /** The threshold of the breakdown by interest, when not the default. */
  minScore?: number;
}

const CASES = (now: Date): Case[] => {
  const from = new Date(now.getTime() + 30 * DAY_MS);
  const to = new Date(now.getTime() + 60 * DAY_MS);
  return [
    {
      name: 'simple interest',
      filter: { interestsAny: ['heritage'] },
      where: (add, _, bits) => `f.interest_bits & ${add(bits('heritage'), 'bigint')} <> 0`,
    },
    {
      name: 'interestsAll of 3',
      filter: { interestsAll: ['heritage', 'gastronomy', 'nature-outdoors'] },
      where: (add, _, bits) => {
        const mask = add(bits('heritage', 'gastronomy', 'nature-outdoors'), 'bigint');
        return `f.interest_bits & ${mask} = ${mask}`;
      },
    },
    {
      name: 'phase + country',
      filter: { phases: ['BEFORE'], countries: ['GB', 'DE', 'NL'] },
      // BEFORE implies a booked stay ending after now (the facts row's booked_until).
      where: (add) => {
        const now = add(new Date(), 'timestamptz');
        return `f.country_code IN ('GB', 'DE', 'NL') AND f.booked_until > ${now}
                AND stay_phase(f.booked_stays, f.stay_departures, ${now}, ${add(AFTER_STAY_DAYS, 'int')}) = 'BEFORE'`;
      },
    },
    {
      name: 'nested or/not',
      filter: {
        or: [
          { interestsAny: ['gastronomy'], countries: ['FR'] },
          { locales: ['en'], not: { interestsAny: ['nightlife'] } },
        ],
        not: { tagsAny: ['presse'] },
      },
      where: (add, _, bits) =>
        `((f.interest_bits & ${add(bits('gastronomy'), 'bigint')} <> 0 AND f.country_code = 'FR')
          OR ((f.locale = 'en' OR f.locale LIKE 'en-%')
              AND f.interest_bits & ${add(bits('nightlife'), 'bigint')} = 0))
         AND NOT f.tags && '{presse}'::text[]`,
    },
    {
      name: 'consent + tier',
      filter: {
        hasConsent: { channel: 'EMAIL', purpose: 'MARKETING' },
        ambassadorTiers: ['NONE', 'FAN'],
      },
      where: () =>
        `f.granted_consents @> ARRAY[consent_key('EMAIL', 'MARKETING')]
         AND f.ambassador_tier IN ('NONE', 'FAN')`,
    },
    {
      name: 'stayOverlaps',
      filter: { stayOverlaps: { from, to } },
      where: (add) =>
        `f.visitor_id IN (SELECT s.visitor_id FROM stays s
                           WHERE s.destination_id = $1 AND s.status <> 'CANCELLED'
                             AND s.departure_at > ${add(from, 'timestamptz')}
                             AND s.arrival_at < ${add(to, 'timestamptz')})`,
    },
    {
      name: 'tagsAny + locales',
      filter: { tagsAny: ['newsletter', 'salon-2025'], locales: ['fr', 'nl-BE'] },
      where: () =>
        `f.tags && '{newsletter,salon-2025}'::text[]
         AND (f.locale IN ('fr', 'nl-BE') OR f.locale LIKE 'fr-%' OR f.locale LIKE 'nl-BE-%')`,
    },
    {
      name: 'interestsAny, score >= 0.5',
      filter: { interestsAny: ['wellbeing', 'wine-drinks'], minInterestScore: 0.5 },
      minScore: 0.5,
      where: (add, ids) =>
        `f.visitor_id IN (SELECT vi.visitor_id FROM visitor_interests vi
                           WHERE vi.destination_id = $1
                             AND vi.interest_id = ANY(${add(ids('wellbeing', 'wine-drinks'), 'uuid[]')})
                             AND vi.score >= 0.5)`,
    },
    { name: 'countries only', filter: { countries: ['DE'] }, where: () => "f.country_code = 'DE'" },
    { name: 'empty filter', filter: {}, where: () => 'true' },
  ];
};

/** The phase of `f` now, on the stay facts the triggers keep (migration SegmentsPerformance). */
function phaseOf(add: Add): string {
  return `stay_phase(f.booked_stays, f.stay_departures, ${add(new Date(), 'timestamptz')}, ${add(AFTER_STAY_DAYS, 'int')})`;
}

/** The destination's afterStayDays (the default: the bench never changes it). */
const AFTER_STAY_DAYS = 90;

/** The same questions as the service's, written by hand for this schema, run with pg. */
class HandWritten {
  constructor(
    private readonly pool: pg.Pool,
    private readonly destinationId: string,
    private readonly interestIds: Map<string, string>,
    /** slug → bit of segment_facts.interest_bits */
    private readonly interestBits: Map<string, number>,
  ) {}

  private statement(c: Case) {
    const params: unknown[] = [this.destinationId];
    const add: Add = (value, cast) => `$${params.push(value)}::${cast}`;
    const ids = (...slugs: string[]) => slugs.map((s) => this.interestIds.get(s)!);
    const bits: Bits = (...slugs) =>
      BigInt.asIntN(
        64,
        slugs.reduce((m, s) => m | (1n << BigInt(this.interestBits.get(s)!)), 0n),
      ).toString();
    const where = `f.destination_id = $1 AND NOT f.erased AND (${c.where(add, ids, bits)})`;
    return { where, params, add };
  }

  /** Count and first page of 50 in (created_at, id) order, at once (as a connection does). */
  async page(c: Case): Promise<number> {
    const { where, params } = this.statement(c);
    const [, count] = await Promise.all([
      // As the service does: the page without parallel workers, next to the count.
      this.pool.connect().then(async (client) => {
        try {
          await client.query('BEGIN; SET LOCAL max_parallel_workers_per_gather = 0');
          const r = await client.query(
            `SELECT v.* FROM segment_facts f JOIN visitors v ON v.id = f.visitor_id
              WHERE ${where} ORDER BY f.created_at, f.visitor_id LIMIT 51`,
            params,
          );
          await client.query('COMMIT');
          return r;
        } finally {
          client.release();
        }
      }),
      this.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM segment_facts f WHERE ${where}`,
        params,
      ),
    ]);
    return count.rows[0].n;
  }

  /** Count, the 10 newest, and counts by interest, country and phase. */
  async preview(c: Case): Promise<number> {
    const sample = this.statement(c);
    const { where, params, add } = this.statement(c);
    const slugs = [...this.interestBits.keys()];
    const byInterest =
      c.minScore === undefined
        ? `SELECT x.key, x.count FROM (SELECT ARRAY[${slugs
            .map(
              (s) =>
                `count(*) FILTER (WHERE m.interest_bits & ${add(bitOf(this.interestBits.get(s)!), 'bigint')} <> 0)`,
            )
            .join(', ')}] AS counts FROM m) c
            CROSS JOIN LATERAL unnest(${add(slugs, 'text[]')}, c.counts) AS x(key, count)
           WHERE x.count > 0`
        : `SELECT i.slug AS key, count(*)::int AS count
             FROM m JOIN visitor_interests vi ON vi.visitor_id = m.id
                   AND vi.score >= ${add(c.minScore, 'float8')}
             JOIN interests i ON i.id = vi.interest_id
            GROUP BY i.slug`;
    const groups = (select: string) =>
      `(SELECT coalesce(json_agg(g ORDER BY g.count DESC, g.key), '[]') FROM (${select}) g)`;
    const [, breakdowns] = await Promise.all([
      this.pool.query(
        `SELECT v.* FROM segment_facts f JOIN visitors v ON v.id = f.visitor_id
          WHERE ${sample.where} ORDER BY f.created_at DESC, f.visitor_id DESC LIMIT 10`,
        sample.params,
      ),
      this.pool.query<{ total: number }>(
        `WITH m AS MATERIALIZED (
           SELECT f.visitor_id AS id, f.country_code, f.interest_bits, ${phaseOf(add)} AS phase
             FROM segment_facts f WHERE ${where})
         SELECT (SELECT count(*) FROM m)::int AS total,
                ${groups(byInterest)} AS by_interest,
                ${groups("SELECT coalesce(m.country_code, '?') AS key, count(*)::int AS count FROM m GROUP BY 1")} AS by_country,
                ${groups('SELECT m.phase AS key, count(*)::int AS count FROM m GROUP BY 1')} AS by_phase`,
        params,
      ),
    ]);
    return breakdowns.rows[0].total;
  }
}

const bitOf = (bit: number) => BigInt.asIntN(64, 1n << BigInt(bit)).toString();

// ------------------------------------------------------------------------------ the run

const RUNS = 7;

interface Timing {
  p50: number;
  p95: number;
}

/** p50 and p95 (nearest rank: with 7 runs, the slowest) in ms. */
function percentiles(ms: number[]): Timing {
  const sorted = [...ms].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  return { p50: rank(0.5), p95: rank(0.95) };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = process.hrtime.bigint();
  const result = await fn();
  return [Number(process.hrtime.bigint() - started) / 1e6, result];
}

/**
 * Segments at 1,000,000 visitors: ten representative filters through SegmentsService (count and
 * first page of 50: `page`, whose connection carries the exact total; breakdowns: `preview`),
 * against the same questions written by hand for this schema and run directly with pg. Service
 * and baseline alternate run by run, so load from elsewhere on the machine hits both alike.
 * SEGMENTS_BENCH_VISITORS=20000 for a quick run; BENCH_KEEP=1 keeps the database.
 */
export async function benchSegments(): Promise<void> {
  const visitors = Number(process.env.SEGMENTS_BENCH_VISITORS) || VISITORS;
  const { runtime, url, drop } = await benchRuntime();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    const { destination } = await runtime.app.get(DestinationsService).createDestination({
      name: 'Bench',
      adminEmail: 'bench@example.org',
      adminPassword: 'bench password 1',
    });
    const auth: AuthContext = {
      destinationId: destination.id,
      principal: { kind: 'user', userId: randomUUID(), role: Role.ADMIN },
    };
    const taxonomy = await runtime.app.get(InterestsService).list(auth);
    const interestIds = new Map(taxonomy.map((i) => [i.slug, i.id]));
    const ordered = [
      ...POPULARITY.filter((slug) => interestIds.has(slug)),
      ...[...interestIds.keys()].filter((slug) => !POPULARITY.includes(slug)).sort(),
    ];
    const missing = ['heritage', 'gastronomy', 'nature-outdoors', 'nightlife', 'wellbeing']
      .concat(['wine-drinks'])
      .filter((slug) => !interestIds.has(slug));
    if (missing.length) throw new Error(`the seeded taxonomy lacks ${missing.join(', ')}`);

    console.log(`generating ${visitors.toLocaleString('en')} visitors…`);
    const client = await pool.connect();
    let generated: Generated;
    try {
      generated = await generatePopulation(
        client,
        destination.id,
        ordered.map((slug) => interestIds.get(slug)!),
        visitors,
        (line) => console.log(line),
      );
    } finally {
      client.release();
    }
    const f = (n: number) => n.toLocaleString('en');
    console.log(
      `generated in ${generated.seconds.toFixed(0)} s: ${Object.entries(generated.counts)
        .map(([table, n]) => `${f(n)} ${table}`)
        .join(', ')}`,
    );

    const { rows: tiers } = await pool.query<{ tier: string; n: number }>(
      `SELECT ambassador_tier AS tier, count(*)::int AS n FROM segment_facts
        WHERE destination_id = $1 GROUP BY 1 ORDER BY 1`,
      [destination.id],
    );
    console.log(`ambassador tiers: ${tiers.map((t) => `${t.tier} ${f(t.n)}`).join(', ')}`);
    const segments = runtime.app.get(SegmentsService);
    const { rows: bitRows } = await pool.query<{ slug: string; bit: number }>(
      'SELECT slug, bit FROM interests WHERE destination_id = $1 AND bit IS NOT NULL ORDER BY bit',
      [destination.id],
    );
    const hand = new HandWritten(
      pool,
      destination.id,
      interestIds,
      new Map(bitRows.map((r) => [r.slug, r.bit])),
    );
    const rows: string[][] = [];
    let pageTargets = 0;
    let ratioTargets = 0;
    const cases = CASES(new Date());
    for (const c of cases) {
      const times = {
        page: [] as number[],
        handPage: [] as number[],
        prev: [] as number[],
        handPrev: [] as number[],
      };
      let counts: number[] = [];
      for (let run = 0; run <= RUNS; run++) {
        const [pageMs, connection] = await timed(() =>
          segments.page(auth, c.filter, { first: 50 }),
        );
        const [handPageMs, handCount] = await timed(() => hand.page(c));
        const [prevMs, preview] = await timed(() => segments.preview(auth, c.filter));
        const [handPrevMs, handTotal] = await timed(() => hand.preview(c));
        counts = [connection.totalCount, handCount, preview.count, handTotal];
        if (run === 0) continue; // warm-up
        times.page.push(pageMs);
        times.handPage.push(handPageMs);
        times.prev.push(prevMs);
        times.handPrev.push(handPrevMs);
      }
      const [page, handPage, prev, handPrev] = [
        times.page,
        times.handPage,
        times.prev,
        times.handPrev,
      ].map(percentiles);
      const pageRatio = page.p50 / handPage.p50;
      if (page.p95 < 200) pageTargets++;
      if (pageRatio <= 2) ratioTargets++;
      const same = counts.every((n) => n === counts[0]);
      const ms = (t: Timing) => `${t.p50.toFixed(0)} / ${t.p95.toFixed(0)}`;
      rows.push([
        c.name,
        same ? f(counts[0]) : `≠ ${counts.map(f).join(' / ')}`,
        ms(page),
        ms(handPage),
        `${pageRatio.toFixed(2)}×`,
        ms(prev),
        ms(handPrev),
        `${(prev.p50 / handPrev.p50).toFixed(2)}×`,
      ]);
    }
    printTable(
      [
        'filter',
        'visitors',
        'count+page p50/p95 ms',
        'pg',
        'ratio',
        'breakdowns p50/p95 ms',
        'pg',
        'ratio',
      ],
      rows,
    );
    console.log(
      `${RUNS} runs after a warm-up, p95 = the slowest; ratio = service p50 / hand-written SQL p50. ` +
        `Targets: p95 < 200 ms per count + first page (${pageTargets}/${cases.length}); ` +
        `≤ 2× the hand-written SQL (${ratioTargets}/${cases.length}).`,
    );
  } finally {
    await pool.end();
    await drop(Boolean(process.env.SEGMENTS_BENCH_KEEP || process.env.BENCH_KEEP));
  }
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}
