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

/** Interaction kinds that are a post of their author (a retweet or a like is not). */
export const POST_KINDS = ['POST', 'MENTION', 'QUOTE', 'REPLY'] as const;
const POSTS_SQL = `(${POST_KINDS.map((k) => `'${k}'`).join(', ')})`;

/** Session-independent key space of the per-destination recompute lock (pg_advisory_xact_lock). */
const RECOMPUTE_LOCK = 727_413_070;

/** For the recompute's transaction only. */
const RECOMPUTE_WORK_MEM = '256MB';

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
  /** Visitors scored (active in the window, plus formerly active ones set back to 0). */
  scored: number;
  /** Score rows whose values changed. */
  updated: number;
  /** Tier changes stored. */
  changes: number;
  promotions: number;
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
 * The raw value of each component per visitor active in the window, then its percentile rank
 * (cume_dist: the share of active visitors at or below it; no data or a raw 0 is 0), the weighted
 * score, tier and rank. One statement over the destination's interactions and identities:
 * $1 destination, $2 now. Settings come from ambassador_settings (a row always exists here).
 *
 * A post's shares (quotes, likes, replies) are the larger of its public metric and the RETWEET
 * (QUOTE, LIKE, REPLY) interactions referencing it: the metric already counts the retweets we saw,
 * and a partner's post may come without metrics. A reference to a post in the window is itself in
 * the window (it comes after the post), so refs reads the window only.
 */
const SCORE_SQL = `
WITH s AS (SELECT * FROM ambassador_settings WHERE destination_id = $1),
w AS (SELECT $2::timestamptz AS now, $2::timestamptz - make_interval(days => s.window_days) AS since FROM s),
refs AS (
  SELECT r.provider, r.referenced_external_id AS ext,
         count(*) FILTER (WHERE r.kind = 'RETWEET') AS retweets,
         count(*) FILTER (WHERE r.kind = 'QUOTE') AS quotes,
         count(*) FILTER (WHERE r.kind = 'REPLY') AS replies,
         count(*) FILTER (WHERE r.kind = 'LIKE') AS likes
    FROM interactions r CROSS JOIN w
   WHERE r.destination_id = $1 AND r.referenced_external_id IS NOT NULL
     AND r.occurred_at >= w.since AND r.occurred_at <= w.now
   GROUP BY 1, 2
),
acts AS (
  SELECT i.visitor_id,
         count(*) FILTER (WHERE i.kind IN ${POSTS_SQL}) AS posts,
         sum(greatest(i.shares, coalesce(x.retweets, 0)) + greatest(i.quotes, coalesce(x.quotes, 0)))
           FILTER (WHERE i.kind IN ${POSTS_SQL}) AS amplified,
         sum(greatest(i.likes, coalesce(x.likes, 0)) + greatest(i.shares, coalesce(x.retweets, 0))
             + greatest(i.replies, coalesce(x.replies, 0)) + greatest(i.quotes, coalesce(x.quotes, 0)))
           FILTER (WHERE i.kind IN ${POSTS_SQL}) AS received,
         avg(i.sentiment) FILTER (WHERE i.kind IN ${POSTS_SQL}) AS sentiment,
         max(i.occurred_at) FILTER (WHERE i.kind IN ${POSTS_SQL}) AS last_post
    FROM interactions i
   CROSS JOIN w
    LEFT JOIN refs x ON i.kind IN ${POSTS_SQL} AND x.provider = i.provider AND x.ext = i.external_id
   WHERE i.destination_id = $1 AND i.visitor_id IS NOT NULL
     AND i.occurred_at >= w.since AND i.occurred_at <= w.now
   GROUP BY i.visitor_id
),
fol AS (
  SELECT si.visitor_id, sum(coalesce(si.followers_count, 0)) AS followers,
         sum(coalesce(si.following_count, 0)) AS following
    FROM social_identities si
   WHERE si.destination_id = $1 AND si.visitor_id IS NOT NULL
   GROUP BY si.visitor_id
),
raw AS (
  SELECT a.visitor_id, a.posts::int AS posts,
         ln(1 + coalesce(f.followers, 0)::float8) AS reach,
         least(coalesce(f.followers, 0)::float8 / greatest(coalesce(f.following, 0), 1), s.ratio_cap) AS ratio,
         coalesce(a.amplified, 0)::float8 AS amplification,
         CASE WHEN a.posts > 0
              THEN coalesce(a.received, 0)::float8 / a.posts / greatest(coalesce(f.followers, 0), 1)
              ELSE 0 END AS engagement,
         a.posts::float8 AS activity,
         a.sentiment::float8 AS sentiment,
         CASE WHEN a.last_post IS NULL THEN 0
              ELSE power(0.5, extract(epoch FROM (w.now - a.last_post))::float8 / 86400 / s.recency_half_life_days)
              END AS recency
    FROM acts a CROSS JOIN s CROSS JOIN w
    LEFT JOIN fol f ON f.visitor_id = a.visitor_id
),
pct AS (
  SELECT visitor_id, posts,
         ${['reach', 'ratio', 'amplification', 'engagement', 'activity', 'recency']
           .map(
             (c) => `CASE WHEN ${c} > 0 THEN cume_dist() OVER (ORDER BY ${c}) ELSE 0 END AS ${c}`,
           )
           .join(',\n         ')},
         CASE WHEN sentiment IS NULL THEN 0
              ELSE cume_dist() OVER (ORDER BY sentiment NULLS FIRST) END AS sentiment
    FROM raw
),
scored AS (
  SELECT p.*,
         round((100 * (${COMPONENTS.map((c) => `s.${c}_weight * p.${c}`).join(' + ')})
                / nullif(${COMPONENTS.map((c) => `s.${c}_weight`).join(' + ')}, 0))::numeric, 4)::float8 AS score
    FROM pct p CROSS JOIN s
)
SELECT c.visitor_id, c.score,
       (CASE WHEN c.score >= s.ambassador_threshold AND c.posts >= s.ambassador_min_posts THEN 'AMBASSADOR'
             WHEN c.score >= s.advocate_threshold THEN 'ADVOCATE'
             WHEN c.score >= s.fan_threshold THEN 'FAN'
             ELSE 'NONE' END)::ambassador_tier AS tier,
       rank() OVER (ORDER BY c.score DESC)::int AS rank,
       ${COMPONENTS.map((k) => `c.${k}`).join(', ')}, c.posts
  FROM scored c CROSS JOIN s
UNION ALL
SELECT o.visitor_id, 0, 'NONE'::ambassador_tier, NULL::int, 0, 0, 0, 0, 0, 0, 0, 0
  FROM ambassador_scores o
 WHERE o.destination_id = $1 AND NOT EXISTS (SELECT 1 FROM acts a WHERE a.visitor_id = o.visitor_id)`;

const VALUE_COLUMNS = ['score', 'tier', 'rank', ...COMPONENTS, 'posts'];

/**
 * Ambassador scores: the set-based recompute (one statement: scores, tier changes and the changed
 * rows, in one transaction per destination), the promotion events after commit, and
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
   * a transaction lock; a recompute over unchanged data writes no row and emits nothing (recency
   * moves with time, but its percentile rank only when the order of last posts does).
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
      await m.query(`SET LOCAL work_mem = '${RECOMPUTE_WORK_MEM}'; SET LOCAL jit = off`);
      await m.query(
        'INSERT INTO ambassador_settings (destination_id) VALUES ($1) ON CONFLICT DO NOTHING',
        [destinationId],
      );
      return this.store(m, destinationId, now);
    });
    // After commit: listeners (AMBASSADOR_PROMOTED campaigns) must see the stored change.
    for (const row of promotions) {
      const event: AmbassadorPromotedEvent = {
        destinationId: row.destination_id,
        visitorId: row.visitor_id,
        changeId: row.id,
        fromTier: row.from_tier,
        score: row.score,
        promotedAt: row.at,
      };
      await this.events.emitAsync(AmbassadorEvents.PROMOTED, event).catch((e: unknown) => {
        this.logger.error(`listener of ${AmbassadorEvents.PROMOTED} failed: ${String(e)}`);
      });
      this.pubsub.publish(toChange(row));
    }
    return report;
  }

  /**
   * Scoring, tier changes and score rows in one statement: its data-modifying parts all see the
   * scores as they were before it (the changes compare against them), and the scored set is
   * built once and never written to a table. Only the promotions come back to Node.
   */
  private async store(m: EntityManager, destinationId: string, now: Date) {
    const cols = VALUE_COLUMNS.join(', ');
    const [stored]: {
      scored: number;
      updated: number;
      changes: number;
      promotions: ChangeRow[] | null;
    }[] = await m.query(
      `WITH next AS MATERIALIZED (${SCORE_SQL}),
       ins AS (
         INSERT INTO ambassador_changes (destination_id, visitor_id, from_tier, to_tier, score, at)
         SELECT $1, n.visitor_id, coalesce(o.tier, 'NONE'), n.tier, n.score, $2
           FROM next n
           LEFT JOIN ambassador_scores o ON o.visitor_id = n.visitor_id
          WHERE n.tier <> coalesce(o.tier, 'NONE')
         RETURNING id, destination_id, visitor_id, from_tier, to_tier, score, at
       ),
       up AS (
         INSERT INTO ambassador_scores (visitor_id, destination_id, ${cols}, computed_at)
         SELECT n.visitor_id, $1, ${VALUE_COLUMNS.map((c) => `n.${c}`).join(', ')}, $2
           FROM next n
           LEFT JOIN ambassador_scores o ON o.visitor_id = n.visitor_id
          -- Unchanged rows are left out here (one hash join), not one by one by ON CONFLICT.
          WHERE o.visitor_id IS NULL
             OR (${VALUE_COLUMNS.map((c) => `o.${c}`).join(', ')})
                IS DISTINCT FROM (${VALUE_COLUMNS.map((c) => `n.${c}`).join(', ')})
         ON CONFLICT (visitor_id) DO UPDATE
            SET ${VALUE_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, computed_at = EXCLUDED.computed_at
         RETURNING 1
       )
       SELECT (SELECT count(*)::int FROM next) AS scored,
              (SELECT count(*)::int FROM up) AS updated,
              (SELECT count(*)::int FROM ins) AS changes,
              (SELECT json_agg(ins ORDER BY ins.score DESC, ins.visitor_id) FROM ins
                WHERE ins.to_tier = 'AMBASSADOR') AS promotions`,
      [destinationId, now.toISOString()],
    );
    await m.query(
      'UPDATE ambassador_settings SET last_computed_at = $2 WHERE destination_id = $1',
      [destinationId, now.toISOString()],
    );
    const promotions = (stored.promotions ?? []).map((p) => ({ ...p, at: new Date(p.at) }));
    return {
      report: {
        scored: stored.scored,
        updated: stored.updated,
        changes: stored.changes,
        promotions: promotions.length,
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
          `SELECT a.*, s.last_computed_at FROM ambassador_scores a
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
      'SELECT * FROM ambassador_scores WHERE destination_id = $1 AND visitor_id = $2',
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
