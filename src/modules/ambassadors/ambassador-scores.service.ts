import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import type { RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { badInput } from '../../common/errors/app-error.js';
import { pageRequest, toConnection, type PageArgs } from '../../common/pagination/relay.js';
import { isUuid } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { AmbassadorTier } from '../segments/segment-filter.input.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';
import { AmbassadorEvents, type AmbassadorPromotedEvent } from './ambassador.events.js';
import type { AmbassadorChange, AmbassadorScore } from './ambassador.models.js';
import { AmbassadorPubSub } from './ambassador-pubsub.js';
import { AdvisoryLockSpace } from '../../infra/database/advisory-lock.js';

/** Interaction kinds that are a post of their author (a retweet or a like is not). */
export const POST_KINDS = ['POST', 'MENTION', 'QUOTE', 'REPLY'] as const;
const POSTS_SQL = `(${POST_KINDS.map((k) => `'${k}'`).join(', ')})`;

/** Session-independent key space of the per-destination recompute lock (pg_advisory_xact_lock). */
const RECOMPUTE_LOCK = AdvisoryLockSpace.AMBASSADOR_RECOMPUTE;

/** For the recompute's transaction only. */
const RECOMPUTE_WORK_MEM = '256MB';

/** Promotions per `ambassador.promoted` event: listeners handle them as one set. */
const PROMOTIONS_PER_EVENT = 1000;

/** At most this many rows from `ambassadorChanges`, oldest first. */
export const MAX_CHANGES = 5000;

const COMPONENTS = [
  'reach',
  'ratio',
  'amplification',
  'engagement',
  'activity',
  'sentiment',
  'recency',
] as const;

export interface RecomputeReport {
  /** Visitors scored (active in the window). */
  scored: number;
  /** Score rows written (changed values) or removed (no longer active). */
  updated: number;
  /** Tier changes stored. */
  changes: number;
  promotions: number;
  /** Milliseconds spent in each phase (scores, changes, rows, ranks), for logs and benchmarks. */
  phases: Record<string, number>;
}

interface ScoreRow {
  visitor_id: string;
  score: number;
  tier: AmbassadorTier;
  rank: number | null;
  reach: number;
  ratio: number;
  amplification: number;
  engagement: number;
  activity: number;
  sentiment: number;
  recency: number;
  posts: number;
  computed_at: Date;
  last_computed_at: Date | null;
}

interface ChangeRow {
  id: string;
  destination_id: string;
  visitor_id: string;
  from_tier: AmbassadorTier;
  to_tier: AmbassadorTier;
  score: number;
  at: Date;
}

export const NO_SCORE: AmbassadorScore = {
  score: 0,
  tier: AmbassadorTier.NONE,
  rank: null,
  components: {
    reach: 0,
    ratio: 0,
    amplification: 0,
    engagement: 0,
    activity: 0,
    sentiment: 0,
    recency: 0,
  },
  computedAt: null,
};

/**
 * The scores of one destination, in two statements into the transaction's temporary tables:
 * RAW_SQL ($1 destination, $2 now, $3 start of the window: parameters, not a join, so the planner
 * sees how much of the interactions the window holds) puts the raw value of each component per
 * visitor active in the window into `ambassador_raw`; SCORE_SQL ($1) puts their percentile ranks
 * (cume_dist: the share of active visitors at or below it; no data or a raw 0 is 0), the weighted
 * score and the tier into `ambassador_next`. Settings come from ambassador_settings (a row always
 * exists here).
 *
 * The percentiles are seven sorts of narrow float8 rows, each in memory, after the aggregation
 * has let go of its memory (in one statement with it, wide numeric rows made every window spill
 * to disk and re-read it many times). Components are kept to 4 decimals and the score to 2: a
 * recompute after a few visitors joined or left the window moves every percentile by a few
 * millionths, which is no reason to rewrite every row (nor to move ranks).
 *
 * A post's shares (quotes, likes, replies) are the larger of its public metric and the RETWEET
 * (QUOTE, LIKE, REPLY) interactions referencing it: the metric already counts the retweets we saw,
 * and a partner's post may come without metrics. A reference to a post in the window is itself in
 * the window (it comes after the post), so refs reads the window only.
 */
const TEMP_TABLES_SQL = `
CREATE TEMPORARY TABLE ambassador_raw (
  visitor_id uuid NOT NULL, posts int NOT NULL, ${COMPONENTS.map((c) => `${c} float8`).join(', ')}
) ON COMMIT DROP;
CREATE TEMPORARY TABLE ambassador_next (
  visitor_id uuid NOT NULL, score float8 NOT NULL, tier ambassador_tier NOT NULL,
  ${COMPONENTS.map((c) => `${c} float8 NOT NULL`).join(', ')}, posts int NOT NULL
) ON COMMIT DROP`;

const round4 = (x: string) => `round((${x}) * 10000) / 10000`;

const RAW_SQL = `
INSERT INTO ambassador_raw (visitor_id, posts, ${COMPONENTS.join(', ')})
WITH s AS (SELECT * FROM ambassador_settings WHERE destination_id = $1),
refs AS (
  SELECT r.provider, r.referenced_external_id AS ext,
         count(*) FILTER (WHERE r.kind = 'RETWEET')::int AS retweets,
         count(*) FILTER (WHERE r.kind = 'QUOTE')::int AS quotes,
         count(*) FILTER (WHERE r.kind = 'REPLY')::int AS replies,
         count(*) FILTER (WHERE r.kind = 'LIKE')::int AS likes
    FROM interactions r
   WHERE r.destination_id = $1 AND r.referenced_external_id IS NOT NULL
     AND r.occurred_at >= $3 AND r.occurred_at <= $2
   GROUP BY 1, 2
),
acts AS (
  SELECT i.visitor_id,
         count(*) FILTER (WHERE i.kind IN ${POSTS_SQL})::int AS posts,
         sum(greatest(i.shares, coalesce(x.retweets, 0)) + greatest(i.quotes, coalesce(x.quotes, 0)))
           FILTER (WHERE i.kind IN ${POSTS_SQL})::float8 AS amplified,
         sum(greatest(i.likes, coalesce(x.likes, 0)) + greatest(i.shares, coalesce(x.retweets, 0))
             + greatest(i.replies, coalesce(x.replies, 0)) + greatest(i.quotes, coalesce(x.quotes, 0)))
           FILTER (WHERE i.kind IN ${POSTS_SQL})::float8 AS received,
         avg(i.sentiment) FILTER (WHERE i.kind IN ${POSTS_SQL}) AS sentiment,
         max(i.occurred_at) FILTER (WHERE i.kind IN ${POSTS_SQL}) AS last_post
    FROM interactions i
    -- A key only for posts: the other interactions do not probe the references at all.
    LEFT JOIN refs x ON x.provider = i.provider
                    AND x.ext = CASE WHEN i.kind IN ${POSTS_SQL} THEN i.external_id END
   WHERE i.destination_id = $1 AND i.visitor_id IS NOT NULL
     AND i.occurred_at >= $3 AND i.occurred_at <= $2
   GROUP BY i.visitor_id
),
fol AS (
  SELECT si.visitor_id, sum(coalesce(si.followers_count, 0))::float8 AS followers,
         sum(coalesce(si.following_count, 0))::float8 AS following
    FROM social_identities si
   WHERE si.destination_id = $1 AND si.visitor_id IS NOT NULL
   GROUP BY si.visitor_id
)
SELECT a.visitor_id, a.posts,
       ln(1 + coalesce(f.followers, 0)) AS reach,
       least(coalesce(f.followers, 0) / greatest(coalesce(f.following, 0), 1), s.ratio_cap) AS ratio,
       coalesce(a.amplified, 0) AS amplification,
       CASE WHEN a.posts > 0
            THEN coalesce(a.received, 0) / a.posts / greatest(coalesce(f.followers, 0), 1)
            ELSE 0 END AS engagement,
       a.posts::float8 AS activity,
       a.sentiment::float8 AS sentiment,
       CASE WHEN a.last_post IS NULL THEN 0
            ELSE power(0.5, extract(epoch FROM ($2::timestamptz - a.last_post))::float8 / 86400 / s.recency_half_life_days)
            END AS recency
  FROM acts a CROSS JOIN s
  LEFT JOIN fol f ON f.visitor_id = a.visitor_id`;

/** $1 destination. The percentiles of the raw values, the score and the tier. */
const SCORE_SQL = `
INSERT INTO ambassador_next (visitor_id, score, tier, ${COMPONENTS.join(', ')}, posts)
WITH s AS (SELECT * FROM ambassador_settings WHERE destination_id = $1),
pct AS (
  SELECT visitor_id, posts,
         ${['reach', 'ratio', 'amplification', 'engagement', 'activity', 'recency']
           .map(
             (c) => `CASE WHEN ${c} > 0 THEN cume_dist() OVER (ORDER BY ${c}) ELSE 0 END AS ${c}`,
           )
           .join(',\n         ')},
         CASE WHEN sentiment IS NULL THEN 0
              ELSE cume_dist() OVER (ORDER BY sentiment NULLS FIRST) END AS sentiment
    FROM ambassador_raw
),
scored AS (
  SELECT p.*,
         round((100 * (${COMPONENTS.map((c) => `s.${c}_weight * p.${c}`).join(' + ')})
                / nullif(${COMPONENTS.map((c) => `s.${c}_weight`).join(' + ')}, 0))::numeric, 2)::float8 AS score
    FROM pct p CROSS JOIN s
)
SELECT c.visitor_id, c.score,
       (CASE WHEN c.score >= s.ambassador_threshold AND c.posts >= s.ambassador_min_posts THEN 'AMBASSADOR'
             WHEN c.score >= s.advocate_threshold THEN 'ADVOCATE'
             WHEN c.score >= s.fan_threshold THEN 'FAN'
             ELSE 'NONE' END)::ambassador_tier AS tier,
       ${COMPONENTS.map((k) => round4(`c.${k}`)).join(', ')}, c.posts
  FROM scored c CROSS JOIN s
 -- In key order, so that the writes that follow walk the indexes on visitor_id in order.
 ORDER BY c.visitor_id`;

const VALUE_COLUMNS = ['score', 'tier', ...COMPONENTS, 'posts'];

/**
 * Ambassador scores: the set-based recompute (a few statements in one transaction per
 * destination: scores, tier changes, changed rows, ranks), the promotion events after commit, and
 * the reads (Visitor.ambassador through a loader, the leaderboard, the change history).
 */
@Injectable()
export class AmbassadorScoresService {
  private readonly logger = new Logger(AmbassadorScoresService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventEmitter2,
    private readonly pubsub: AmbassadorPubSub,
    private readonly clock: Clock,
  ) {}

  async destinationIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      'SELECT id FROM destinations ORDER BY id',
    );
    return rows.map((r) => r.id);
  }

  /**
   * Recomputes every score of one destination. Concurrent recomputes of a destination queue on
   * a transaction lock; a recompute over unchanged data writes no row and emits nothing.
   */
  async recompute(destinationId: string): Promise<RecomputeReport> {
    const now = this.clock.now();
    const { report, promotions } = await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        RECOMPUTE_LOCK,
        destinationId,
      ]);
      // One pass over the window's interactions: hash aggregates in memory rather than on disk.
      // No JIT: the scoring statement's many expressions took seconds to compile at any size.
      // No parallel workers: each would build its own copy of the references' hash table.
      await m.query(
        `SET LOCAL work_mem = '${RECOMPUTE_WORK_MEM}'; SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0`,
      );
      await m.query(
        'INSERT INTO ambassador_settings (destination_id) VALUES ($1) ON CONFLICT DO NOTHING',
        [destinationId],
      );
      return this.store(m, destinationId, now);
    });
    // After commit: listeners (AMBASSADOR_PROMOTED campaigns) must see the stored changes.
    const eventsFrom = performance.now();
    for (let i = 0; i < promotions.length; i += PROMOTIONS_PER_EVENT) {
      const batch = promotions.slice(i, i + PROMOTIONS_PER_EVENT);
      const event: AmbassadorPromotedEvent = {
        destinationId,
        promotions: batch.map((row) => ({
          visitorId: row.visitor_id,
          changeId: row.id,
          fromTier: row.from_tier,
          score: row.score,
          promotedAt: row.at,
        })),
      };
      await this.events.emitAsync(AmbassadorEvents.PROMOTED, event).catch((e: unknown) => {
        this.logger.error(`listener of ${AmbassadorEvents.PROMOTED} failed: ${String(e)}`);
      });
      for (const row of batch) this.pubsub.publish(toChange(row));
    }
    report.phases.events = Math.round(performance.now() - eventsFrom);
    return report;
  }

  /**
   * Scores into temporary tables, then the tier changes (compared with the scores as they were),
   * the score rows that changed or went, and the ranks, in the caller's transaction. Only the
   * promotions come back to Node.
   */
  private async store(m: EntityManager, destinationId: string, now: Date) {
    const [{ window_days: windowDays }]: { window_days: number }[] = await m.query(
      'SELECT window_days FROM ambassador_settings WHERE destination_id = $1',
      [destinationId],
    );
    const since = new Date(now.getTime() - windowDays * 86_400_000);
    const phases: Record<string, number> = {};
    let mark = performance.now();
    const phase = (name: string) => {
      const t = performance.now();
      phases[name] = Math.round(t - mark);
      mark = t;
    };
    await m.query(TEMP_TABLES_SQL);
    await m.query(RAW_SQL, [destinationId, now.toISOString(), since.toISOString()]);
    // Two statements: the window sorts then have the memory the aggregation held.
    await m.query(SCORE_SQL, [destinationId]);
    await m.query('ANALYZE ambassador_next');
    const [{ scored }]: { scored: number }[] = await m.query(
      'SELECT count(*)::int AS scored FROM ambassador_next',
    );
    phase('scores');
    // Tier changes first, against the scores as they were: the active visitors' new tiers, and
    // those no longer active dropping to NONE (their rows go: no row is NONE / 0).
    const [changed]: { changes: number; promotions: ChangeRow[] }[] = await m.query(
      `WITH ins AS (
         INSERT INTO ambassador_changes (destination_id, visitor_id, from_tier, to_tier, score, at)
         SELECT $1::uuid, n.visitor_id, coalesce(o.tier, 'NONE'), n.tier, n.score, $2::timestamptz
           FROM ambassador_next n
           LEFT JOIN ambassador_scores o ON o.visitor_id = n.visitor_id
          WHERE n.tier <> coalesce(o.tier, 'NONE')
         UNION ALL
         SELECT $1::uuid, o.visitor_id, o.tier, 'NONE', 0, $2::timestamptz
           FROM ambassador_scores o
          WHERE o.destination_id = $1::uuid AND o.tier <> 'NONE'
            AND NOT EXISTS (SELECT 1 FROM ambassador_next n WHERE n.visitor_id = o.visitor_id)
         RETURNING id, destination_id, visitor_id, from_tier, to_tier, score, at
       )
       SELECT count(*)::int AS changes,
              coalesce(json_agg(ins ORDER BY ins.score DESC, ins.visitor_id)
                         FILTER (WHERE ins.to_tier = 'AMBASSADOR'), '[]') AS promotions
         FROM ins`,
      [destinationId, now.toISOString()],
    );
    phase('changes');
    // Unchanged rows are left alone: a recompute over the same data writes nothing.
    const written = await m.queryRunner!.query(
      `MERGE INTO ambassador_scores o
       USING ambassador_next n ON o.visitor_id = n.visitor_id
       WHEN MATCHED AND (${VALUE_COLUMNS.map((c) => `o.${c}`).join(', ')})
                        IS DISTINCT FROM (${VALUE_COLUMNS.map((c) => `n.${c}`).join(', ')}) THEN
         UPDATE SET ${VALUE_COLUMNS.map((c) => `${c} = n.${c}`).join(', ')}, computed_at = $2
       WHEN NOT MATCHED THEN
         INSERT (visitor_id, destination_id, ${VALUE_COLUMNS.join(', ')}, computed_at)
         VALUES (n.visitor_id, $1, ${VALUE_COLUMNS.map((c) => `n.${c}`).join(', ')}, $2)`,
      [destinationId, now.toISOString()],
      true,
    );
    const dropped = await m.queryRunner!.query(
      `DELETE FROM ambassador_scores o
        WHERE o.destination_id = $1
          AND NOT EXISTS (SELECT 1 FROM ambassador_next n WHERE n.visitor_id = o.visitor_id)`,
      [destinationId],
      true,
    );
    phase('rows');
    // Ranks per score value (at most 10,001 rows), as rank() over the scores would give them.
    await m.query('DELETE FROM ambassador_ranks WHERE destination_id = $1', [destinationId]);
    await m.query(
      `INSERT INTO ambassador_ranks (destination_id, score, rank)
       SELECT $1::uuid, score, 1 + coalesce(sum(n) OVER (ORDER BY score DESC
                                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
         FROM (SELECT score, count(*) AS n FROM ambassador_next GROUP BY score) g`,
      [destinationId],
    );
    await m.query(
      'UPDATE ambassador_settings SET last_computed_at = $2 WHERE destination_id = $1',
      [destinationId, now.toISOString()],
    );
    phase('ranks');
    const promotions = changed.promotions.map((p) => ({ ...p, at: new Date(p.at) }));
    return {
      report: {
        scored,
        updated: (written.affected ?? 0) + (dropped.affected ?? 0),
        changes: changed.changes,
        promotions: promotions.length,
        phases,
      },
      promotions,
    };
  }

  // ------------------------------------------------------------------------------ reads

  /** Visitor.ambassador: batched per request; a visitor never scored is NONE / 0. */
  scoreOf(loaders: RequestLoaders, auth: AuthContext, visitorId: string): Promise<AmbassadorScore> {
    return loaders
      .get<string, AmbassadorScore>('ambassador.score', async (ids) => {
        const rows: ScoreRow[] = await this.dataSource.query(
          `SELECT a.*, r.rank, s.last_computed_at FROM ambassador_scores a
             LEFT JOIN ambassador_ranks r ON r.destination_id = a.destination_id AND r.score = a.score
             LEFT JOIN ambassador_settings s ON s.destination_id = a.destination_id
            WHERE a.destination_id = $1 AND a.visitor_id = ANY($2::uuid[])`,
          [auth.destinationId, [...ids]],
        );
        const byId = new Map(rows.map((r) => [r.visitor_id, r]));
        return ids.map((id) => {
          const r = byId.get(id);
          return r ? toScore(r) : NO_SCORE;
        });
      })
      .load(visitorId);
  }

  /** The leaderboard: best score first (ties by visitor id, descending: the index order); cursor on (score, id). */
  async leaderboard(auth: AuthContext, minTier: AmbassadorTier | null | undefined, page: PageArgs) {
    const { limit, after } = pageRequest(page);
    const where = ['a.destination_id = $1', 'v.erased_at IS NULL'];
    const params: unknown[] = [auth.destinationId];
    if (minTier) {
      if (!Object.values(AmbassadorTier).includes(minTier))
        throw badInput('Unknown tier', { argument: 'minTier' });
      params.push(minTier);
      where.push(`a.tier >= $${params.length}::ambassador_tier`);
    }
    const base = `FROM ambassador_scores a JOIN visitors v ON v.id = a.visitor_id WHERE ${where.join(' AND ')}`;
    const pageWhere: string[] = [];
    const pageParams = [...params];
    if (after) {
      if (typeof after.sortKey !== 'number' || !isUuid(after.id))
        throw badInput('Invalid cursor', { argument: 'after' });
      pageParams.push(after.sortKey, after.id);
      const [s, id] = [pageParams.length - 1, pageParams.length];
      pageWhere.push(`(a.score, a.visitor_id) < ($${s}::float8, $${id}::uuid)`);
    }
    const [ranked, [{ total }]] = await Promise.all([
      this.dataSource.query(
        `SELECT a.visitor_id, a.score ${base} ${pageWhere.map((w) => `AND ${w}`).join(' ')}
          ORDER BY a.score DESC, a.visitor_id DESC LIMIT ${limit + 1}`,
        pageParams,
      ) as Promise<{ visitor_id: string; score: number }[]>,
      this.dataSource.query(`SELECT count(*)::int AS total ${base}`, params) as Promise<
        { total: number }[]
      >,
    ]);
    const visitors = ranked.length
      ? await this.dataSource
          .getRepository(VisitorEntity)
          .createQueryBuilder('v')
          .where('v.id IN (:...ids)', { ids: ranked.map((r) => r.visitor_id) })
          .getMany()
      : [];
    const byId = new Map(visitors.map((v) => [v.id, v]));
    const scoreOf = new Map(ranked.map((r) => [r.visitor_id, r.score]));
    const nodes = ranked.map((r) => byId.get(r.visitor_id)).filter((v): v is VisitorEntity => !!v);
    return toConnection(nodes, limit, total, (v) => scoreOf.get(v.id) ?? 0);
  }

  /** Tier changes since a time, oldest first (at most MAX_CHANGES). */
  async changes(auth: AuthContext, since: Date): Promise<AmbassadorChange[]> {
    if (!(since instanceof Date) || Number.isNaN(since.getTime()))
      throw badInput('since must be a date', { argument: 'since' });
    const rows: ChangeRow[] = await this.dataSource.query(
      `SELECT c.id, c.destination_id, c.visitor_id, c.from_tier, c.to_tier, c.score, c.at
         FROM ambassador_changes c JOIN visitors v ON v.id = c.visitor_id
        WHERE c.destination_id = $1 AND c.at >= $2 AND v.erased_at IS NULL
        ORDER BY c.at, c.id LIMIT ${MAX_CHANGES}`,
      [auth.destinationId, since.toISOString()],
    );
    return rows.map(toChange);
  }

  /** The GDPR export's section: the current score and every tier change. */
  async exportSection(destinationId: string, visitorId: string) {
    const [score]: ScoreRow[] = await this.dataSource.query(
      `SELECT a.*, r.rank FROM ambassador_scores a
         LEFT JOIN ambassador_ranks r ON r.destination_id = a.destination_id AND r.score = a.score
        WHERE a.destination_id = $1 AND a.visitor_id = $2`,
      [destinationId, visitorId],
    );
    const history: ChangeRow[] = await this.dataSource.query(
      `SELECT from_tier, to_tier, score, at FROM ambassador_changes
        WHERE destination_id = $1 AND visitor_id = $2 ORDER BY at, id`,
      [destinationId, visitorId],
    );
    return {
      score: score
        ? { ...toScore({ ...score, last_computed_at: null }), posts: score.posts }
        : null,
      history: history.map((h) => ({ from: h.from_tier, to: h.to_tier, score: h.score, at: h.at })),
    };
  }

  /** A merge keeps the person's history; the kept visitor's score is redone by the next recompute. */
  async mergeIn(m: EntityManager, destinationId: string, keepId: string, mergeId: string) {
    await m.query(
      'UPDATE ambassador_changes SET visitor_id = $3 WHERE destination_id = $1 AND visitor_id = $2',
      [destinationId, mergeId, keepId],
    );
    await m.query('DELETE FROM ambassador_scores WHERE destination_id = $1 AND visitor_id = $2', [
      destinationId,
      mergeId,
    ]);
  }

  /** A score and its history are a profile of the person: erasure removes them. */
  async eraseIn(m: EntityManager, destinationId: string, visitorId: string) {
    await m.query('DELETE FROM ambassador_changes WHERE destination_id = $1 AND visitor_id = $2', [
      destinationId,
      visitorId,
    ]);
    await m.query('DELETE FROM ambassador_scores WHERE destination_id = $1 AND visitor_id = $2', [
      destinationId,
      visitorId,
    ]);
  }
}

function toScore(r: ScoreRow): AmbassadorScore {
  return {
    score: r.score,
    tier: r.tier,
    rank: r.rank,
    components: {
      reach: r.reach,
      ratio: r.ratio,
      amplification: r.amplification,
      engagement: r.engagement,
      activity: r.activity,
      sentiment: r.sentiment,
      recency: r.recency,
    },
    // The row keeps when its values last changed; the destination when it was last recomputed.
    computedAt: r.last_computed_at ?? r.computed_at,
  };
}

function toChange(r: ChangeRow): AmbassadorChange {
  return {
    id: r.id,
    destinationId: r.destination_id,
    visitorId: r.visitor_id,
    from: r.from_tier,
    to: r.to_tier,
    score: r.score,
    at: r.at,
  };
}
