import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { groupByKeys, type RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { AppError, badInput, ErrorCode, notFound } from '../../common/errors/app-error.js';
import { APP_CONFIG, type AppConfig } from '../../infra/config/config.js';
import { AdvisoryLockSpace } from '../../infra/database/advisory-lock.js';
import { EvidenceKind } from './interest-evidence.entity.js';
import { VisitorInterestEntity } from './visitor-interest.entity.js';
import { VisitorInterestView } from './visitor-interest.model.js';

/**
 * Default weight of one piece of evidence, by kind: what the visitor tells us counts most, then
 * what they do (a stay), then what they post (a place they name, a hashtag, a word).
 * One fresh piece alone scores 1 − e^(−weight): DECLARED 0.86, STAY 0.63, PLACE 0.55,
 * HASHTAG 0.45, KEYWORD 0.33 (segments' default threshold is 0.2).
 */
export const DEFAULT_EVIDENCE_WEIGHTS: Readonly<Record<EvidenceKind, number>> = {
  [EvidenceKind.DECLARED]: 2.0,
  [EvidenceKind.STAY]: 1.0,
  [EvidenceKind.PLACE]: 0.8,
  [EvidenceKind.HASHTAG]: 0.6,
  [EvidenceKind.KEYWORD]: 0.4,
};

/** The source id of declared interests (one declaration per visitor and interest). */
export const DECLARED_SOURCE = 'declared';

export interface EvidenceItem {
  destinationId: string;
  visitorId: string;
  interestId: string;
  kind: EvidenceKind;
  /** Defaults to DEFAULT_EVIDENCE_WEIGHTS[kind]. */
  weight?: number;
  /** What it came from (an interaction id, a stay id, 'declared'): re-recording it counts once. */
  sourceId: string;
  occurredAt: Date;
}

export interface RecordEvidenceOptions {
  /**
   * The caller's transaction (`manager`) already holds the score locks of the items' visitors,
   * taken by an earlier statement with scoreLocksSql: the writes need no statement before them.
   * A foreign visitor or interest is then found by the writing statement itself, and NOT_FOUND
   * must roll the caller's transaction back (it does when the error is not caught).
   */
  scoresLocked?: boolean;
}

export interface RefreshResult {
  visitors: number;
  upserted: number;
  deleted: number;
}

/**
 * Interests scored at least this are the visitor's "strong" interests, cached on the visitor row
 * (`visitors.strong_interests`, projected as bits into `segment_facts`) by triggers on
 * visitor_interests (the SQL function `strong_interests_of`, migration SegmentCacheMaintenance,
 * holds the same number): segments' default threshold.
 */
export const STRONG_INTEREST_SCORE = 0.2;

/**
 * Visitors per score refresh statement (and per transaction of the nightly refresh): as many as
 * a poll's batch of posts may have authors (WALK_BATCH_POSTS), so that its evidence is written
 * and its scores refreshed in one statement.
 */
const REFRESH_CHUNK = 1000;
/** Namespace of the per-visitor advisory locks that serialise score refreshes (two-int form). */
const SCORE_LOCK_NAMESPACE = AdvisoryLockSpace.INTEREST_SCORES;
const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * score = 1 − exp(−Σ weightᵢ · 2^(−ageᵢ / halfLife)), over the visitor's evidence for the
 * interest, age = now − occurred_at (never negative). The exponents are capped because
 * PostgreSQL raises an error on float underflow (2^−1000 and e^−700 are already ~0).
 * Triggers on visitor_interests then rewrite `visitors.strong_interests` of the visitors whose set
 * changed (migration SegmentCacheMaintenance).
 * $1 destination, $2 visitor ids, $3 now, $4 half-life in seconds.
 */
const SUM_OF = (e: string, now: string, halfLife: string) =>
  `sum(${e}.weight * power(2::float8,
        -least(greatest(extract(epoch FROM (${now}::timestamptz - ${e}.occurred_at))::float8, 0)
               / ${halfLife}::float8, 1000)))`;
/** The score of a sum of decayed weights (SQL expression). */
const SCORE = (sum: string) => `1 - exp(-least(${sum}, 700))`;

/** The CTE `upserted`: the scores of `agg` (its sums) stored, computed at `now` (a parameter). */
const UPSERTED = (now: string) => `upserted AS (
  INSERT INTO visitor_interests AS vi
         (destination_id, visitor_id, interest_id, score, evidence_sum, evidence_count,
          last_evidence_at, sources, computed_at)
  SELECT $1, a.visitor_id, a.interest_id, ${SCORE('a.sum')}, a.sum, a.evidence_count,
         a.last_evidence_at, a.sources, ${now}
    FROM agg a
   WHERE true
  ON CONFLICT (visitor_id, interest_id) DO UPDATE
     SET score = EXCLUDED.score,
         evidence_sum = EXCLUDED.evidence_sum,
         evidence_count = EXCLUDED.evidence_count,
         last_evidence_at = EXCLUDED.last_evidence_at,
         sources = EXCLUDED.sources,
         computed_at = EXCLUDED.computed_at
  RETURNING 1
)`;

const REFRESH_SQL = `
WITH scope AS (
  SELECT DISTINCT unnest($2::uuid[]) AS visitor_id
),
agg AS (
  SELECT e.visitor_id,
         e.interest_id,
         ${SUM_OF('e', '$3', '$4')} AS sum,
         count(*)::int AS evidence_count,
         max(e.occurred_at) AS last_evidence_at,
         array_agg(DISTINCT e.kind::text ORDER BY e.kind::text) AS sources
    FROM interest_evidence e
   WHERE e.destination_id = $1
     AND e.visitor_id IN (SELECT visitor_id FROM scope)
   GROUP BY e.visitor_id, e.interest_id
),
${UPSERTED('$3')},
deleted AS (
  DELETE FROM visitor_interests vi
   WHERE vi.destination_id = $1
     AND vi.visitor_id IN (SELECT visitor_id FROM scope)
     AND NOT EXISTS (SELECT 1 FROM agg a WHERE a.visitor_id = vi.visitor_id AND a.interest_id = vi.interest_id)
  RETURNING 1
)
SELECT (SELECT count(*) FROM upserted)::int AS upserted,
       (SELECT count(*) FROM deleted)::int AS deleted`;

/**
 * The score lock of visitor `v` of destination `d` (SQL expressions): one of 256 buckets of the
 * destination, whose high 24 bits come from the destination alone, so that pages of different
 * destinations (ingested at the same time by several workers) do not wait on each other's
 * buckets, as they did when the 256 buckets were shared by every destination.
 */
const SCORE_BUCKET = (d: string, v: string) =>
  `((hashtext(${d}::uuid::text) & -256) | (hashtext(${d}::uuid::text || ${v}::text) & 255))`;

/**
 * Serialises refreshes of the same visitors, in a bounded number of locks: one per bucket (256
 * per destination), taken in order so that two refreshes never deadlock. One lock per visitor
 * would exhaust the lock table inside a 50,000-line import's transaction. The refresh statement
 * runs after the locks, as the next statement: it sees the evidence of any refresh before it.
 * $1 destination, $2 visitor ids, and the lock namespace's parameter.
 */
const LOCKS_SQL = (namespace: string) => `
  SELECT pg_advisory_xact_lock(${namespace}::int, b)
    FROM (SELECT DISTINCT ${SCORE_BUCKET('$1', 'v')} AS b FROM unnest($2::uuid[]) AS v) s
   ORDER BY b`;

/**
 * LOCKS_SQL for a statement that takes the score locks itself, before evidence is recorded with
 * `scoresLocked` in a later statement of its transaction: `visitors` is a query of one uuid column
 * (the ingest's interactions statement locks its visitors' rows first, in id order, then these:
 * the order of every other path, row locks before score locks). `destination`: a SQL expression.
 */
export const scoreLocksSql = (destination: string, visitors: string) => `
  SELECT pg_advisory_xact_lock(${SCORE_LOCK_NAMESPACE}, b)
    FROM (SELECT DISTINCT ${SCORE_BUCKET(destination, 's.v')} AS b FROM (${visitors}) AS s(v)) s
   ORDER BY b`;

/**
 * Before evidence is written: how many of the visitors ($2, distinct) and interests ($3, distinct)
 * are in destination $1. The visitors are found by primary key only and their destination
 * compared afterwards: with `destination_id = $1` as an index condition the planner, on stale
 * statistics (a fresh table, a burst of new prospects), walked every visitor of the destination
 * once per row (half of an ingested page's time).
 */
const CHECK_SQL = `
  (SELECT count(*) FILTER (WHERE v.destination_id = $1) FROM visitors v WHERE v.id = ANY($2::uuid[]))::int AS visitors,
  (SELECT count(*) FILTER (WHERE i.destination_id = $1) FROM interests i WHERE i.id = ANY($3::uuid[]))::int AS interests`;

/** The rows of evidence to write, parameters $p to $p+5 (checked: in destination $1). */
const EVIDENCE_ROWS = (p: number) => `
x AS (
  SELECT * FROM unnest($${p}::uuid[], $${p + 1}::uuid[], $${p + 2}::evidence_kind[],
                       $${p + 3}::float8[], $${p + 4}::text[], $${p + 5}::timestamptz[])
         AS x(visitor_id, interest_id, kind, weight, source_id, occurred_at)
),
written AS (
  INSERT INTO interest_evidence
         (destination_id, visitor_id, interest_id, kind, weight, source_id, occurred_at)
  SELECT $1, x.visitor_id, x.interest_id, x.kind, x.weight, x.source_id, x.occurred_at
    FROM x
   WHERE true
  ON CONFLICT (visitor_id, interest_id, kind, source_id) DO UPDATE
     SET weight = EXCLUDED.weight, occurred_at = EXCLUDED.occurred_at
  RETURNING visitor_id, interest_id, (xmax = 0) AS inserted
)`;

/**
 * Writes the evidence and refreshes the scores of the (visitor, interest) pairs it touches, in
 * the same statement (the score locks are held). The sum behind a score only decays with time
 * (2^(−age/halfLife) is the same factor for every piece), so the stored sum S (evidence_sum) is
 * brought forward to now and the new pieces added: S' = S·2^(−(now − computed_at)/halfLife) + Σ new,
 * score = 1 − exp(−S'), without reading the pair's evidence again. A pair is recomputed from its
 * evidence instead (read through its index) when that shortcut would not give the formula's
 * value: no stored score or sum yet, a piece replaced rather than added, a piece that was still in
 * the future at computed_at (its age was counted as 0), or a clock behind computed_at. (S was once
 * read back from the score, −ln(1 − score), which fails once the score rounds to 1: a prolific
 * account's pairs were then recomputed from all their evidence at every batch.) A statement does
 * not see its own writes: the evidence read is the pair's as it was, minus the rows being
 * replaced, plus the new rows. Evidence only grows here, so no score is deleted; the visitors'
 * other interests decay on the nightly refresh.
 * $1 destination, $2..$7 rows, $8 now, $9 half-life in seconds. Triggers on visitor_interests keep
 * `visitors.strong_interests` (SegmentCacheMaintenance).
 */
const RECORD_AND_REFRESH_SQL = `
WITH ${EVIDENCE_ROWS(2)},
added AS (
  SELECT x.visitor_id, x.interest_id,
         sum(x.weight * power(2::float8,
               -least(greatest(extract(epoch FROM ($8::timestamptz - x.occurred_at))::float8, 0)
                      / $9::float8, 1000))) AS sum,
         count(*)::int AS n, max(x.occurred_at) AS last, array_agg(DISTINCT x.kind::text) AS kinds
    FROM x
   GROUP BY x.visitor_id, x.interest_id
),
pair AS (
  SELECT a.*, vi.evidence_sum, vi.evidence_count, vi.last_evidence_at, vi.sources, vi.computed_at,
         (vi.visitor_id IS NULL OR vi.evidence_sum IS NULL OR vi.last_evidence_at > vi.computed_at
          OR vi.computed_at > $8::timestamptz
          OR EXISTS (SELECT 1 FROM written w
                      WHERE NOT w.inserted AND w.visitor_id = a.visitor_id
                        AND w.interest_id = a.interest_id)) AS recompute
    FROM added a
    LEFT JOIN LATERAL (
      SELECT * FROM visitor_interests vi
       WHERE vi.visitor_id = a.visitor_id AND vi.interest_id = a.interest_id
      OFFSET 0
    ) vi ON true
),
evidence AS (
  SELECT p.visitor_id, p.interest_id, e.kind, e.weight, e.occurred_at
    FROM pair p
    CROSS JOIN LATERAL (
      SELECT e.kind, e.source_id, e.weight, e.occurred_at
        FROM interest_evidence e
       WHERE e.visitor_id = p.visitor_id AND e.interest_id = p.interest_id
         AND e.destination_id = $1
      OFFSET 0
    ) e
   WHERE p.recompute
     AND NOT EXISTS (SELECT 1 FROM x
                      WHERE x.visitor_id = p.visitor_id AND x.interest_id = p.interest_id
                        AND x.kind = e.kind AND x.source_id = e.source_id)
  UNION ALL
  SELECT x.visitor_id, x.interest_id, x.kind, x.weight, x.occurred_at
    FROM x JOIN pair p ON p.visitor_id = x.visitor_id AND p.interest_id = x.interest_id
   WHERE p.recompute
),
agg AS (
  SELECT e.visitor_id, e.interest_id, ${SUM_OF('e', '$8', '$9')} AS sum,
         count(*)::int AS evidence_count,
         max(e.occurred_at) AS last_evidence_at,
         array_agg(DISTINCT e.kind::text ORDER BY e.kind::text) AS sources
    FROM evidence e
   GROUP BY e.visitor_id, e.interest_id
  UNION ALL
  SELECT p.visitor_id, p.interest_id,
         p.evidence_sum * power(2::float8,
               -least(extract(epoch FROM ($8::timestamptz - p.computed_at))::float8 / $9::float8, 1000))
           + p.sum,
         p.evidence_count + p.n,
         greatest(p.last_evidence_at, p.last),
         ARRAY(SELECT DISTINCT k FROM unnest(p.sources || p.kinds) AS k ORDER BY k)
    FROM pair p
   WHERE NOT p.recompute
),
${UPSERTED('$8')}
SELECT (SELECT count(*) FROM written)::int AS written,
       (SELECT count(*) FROM upserted)::int AS upserted`;

/**
 * RECORD_AND_REFRESH_SQL that also counts the rows' visitors and interests that are not in
 * destination $1 (when the caller took the score locks, no statement runs before it to check).
 * Each is looked up by primary key (a correlated subquery: no plan can walk the whole table).
 */
const CHECKED_RECORD_AND_REFRESH_SQL = `${RECORD_AND_REFRESH_SQL},
  (SELECT count(*) FROM (SELECT DISTINCT visitor_id FROM x) u
    WHERE (SELECT v.destination_id FROM visitors v WHERE v.id = u.visitor_id)
          IS DISTINCT FROM $1::uuid)::int AS foreign_visitors,
  (SELECT count(*) FROM (SELECT DISTINCT interest_id FROM x) u
    WHERE (SELECT i.destination_id FROM interests i WHERE i.id = u.interest_id)
          IS DISTINCT FROM $1::uuid)::int AS foreign_interests`;

const FOREIGN_EVIDENCE = () =>
  new AppError(
    ErrorCode.NOT_FOUND,
    'interest evidence names a visitor or an interest that is not in its destination',
  );

/**
 * Interest evidence and the materialised scores derived from it (`visitor_interests`, which
 * segments filter on in SQL). Every write of evidence refreshes the scores it touches (visitor and
 * interest) in the same transaction; the nightly job refreshes everyone for decay. Nothing is kept
 * in memory: any process can record or refresh.
 */
@Injectable()
export class InterestScoresService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(VisitorInterestEntity)
    private readonly scores: Repository<VisitorInterestEntity>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Half-life of evidence in seconds (INTEREST_HALF_LIFE_DAYS, default 90 days). */
  get halfLifeSeconds(): number {
    return this.config.interestHalfLifeDays * 86_400;
  }

  /**
   * Records evidence in one batched upsert (unique visitor, interest, kind, source: recording
   * the same item again changes nothing but its weight and time), then refreshes the scores it
   * touches (up to one refresh chunk of visitors, the (visitor, interest) pairs of the items;
   * beyond, every score of those visitors). Every visitor and interest must belong to the item's destination
   * (NOT_FOUND otherwise, and nothing is written).
   */
  async recordEvidence(
    items: EvidenceItem[],
    manager?: EntityManager,
    options: RecordEvidenceOptions = {},
  ): Promise<void> {
    if (!items.length) return;
    const rows = dedupe(items.map(validItem));
    const byDestination = new Map<string, Required<EvidenceItem>[]>();
    for (const r of rows) {
      const list = byDestination.get(r.destinationId) ?? [];
      list.push(r);
      byDestination.set(r.destinationId, list);
    }
    await this.inTransaction(manager, async (m) => {
      for (const [destinationId, list] of byDestination) {
        const visitorIds = [...new Set(list.map((r) => r.visitorId))].sort();
        const interestIds = [...new Set(list.map((r) => r.interestId))];
        // Up to one refresh chunk, one statement checks and takes the score locks, the next
        // writes and refreshes; beyond, refreshScores refreshes chunk by chunk.
        const oneChunk = visitorIds.length <= REFRESH_CHUNK;
        const locked =
          oneChunk && !!options.scoresLocked && !!manager?.queryRunner?.isTransactionActive;
        if (!locked) {
          const [found]: { visitors: number; interests: number }[] = await m.query(
            oneChunk
              ? `SELECT ${CHECK_SQL}, (SELECT count(*) FROM (${LOCKS_SQL('$4')}) l)::int AS locks`
              : `SELECT ${CHECK_SQL}`,
            [destinationId, visitorIds, interestIds, ...(oneChunk ? [SCORE_LOCK_NAMESPACE] : [])],
          );
          // Nothing written yet: a foreign or unknown id writes nothing.
          if (found.visitors !== visitorIds.length || found.interests !== interestIds.length) {
            throw FOREIGN_EVIDENCE();
          }
        }
        const rows = [
          list.map((r) => r.visitorId),
          list.map((r) => r.interestId),
          list.map((r) => r.kind),
          list.map((r) => r.weight),
          list.map((r) => r.sourceId),
          list.map((r) => r.occurredAt.toISOString()),
        ];
        if (oneChunk) {
          const [written]: { foreign_visitors?: number; foreign_interests?: number }[] =
            await m.query(locked ? CHECKED_RECORD_AND_REFRESH_SQL : RECORD_AND_REFRESH_SQL, [
              destinationId,
              ...rows,
              this.clock.now().toISOString(),
              this.halfLifeSeconds,
            ]);
          // Written, in the caller's transaction: the error rolls it back with the rest.
          if (written.foreign_visitors || written.foreign_interests) throw FOREIGN_EVIDENCE();
        } else {
          await m.query(`WITH ${EVIDENCE_ROWS(2)} SELECT count(*)::int AS n FROM written`, [
            destinationId,
            ...rows,
          ]);
          await this.refreshScores(destinationId, visitorIds, m);
        }
      }
    });
  }

  /**
   * Recomputes the materialised scores of `visitorIds` (all the destination's visitors with
   * evidence or scores when omitted: the nightly decay), set-based, one statement per chunk of
   * visitors, and deletes the scores whose evidence is gone. Safe to run any time, from any
   * process: refreshes of the same visitor are serialised by an advisory lock.
   */
  async refreshScores(
    destinationId: string,
    visitorIds?: string[],
    manager?: EntityManager,
  ): Promise<RefreshResult> {
    const total: RefreshResult = { visitors: 0, upserted: 0, deleted: 0 };
    const add = (r: RefreshResult) => {
      total.visitors += r.visitors;
      total.upserted += r.upserted;
      total.deleted += r.deleted;
    };
    if (visitorIds) {
      const ids = [...new Set(visitorIds)].sort();
      for (let i = 0; i < ids.length; i += REFRESH_CHUNK) {
        add(await this.refreshChunk(destinationId, ids.slice(i, i + REFRESH_CHUNK), manager));
      }
      return total;
    }
    const q = manager ?? this.dataSource.manager;
    for (let after = FIRST_UUID; ;) {
      const page: { visitor_id: string }[] = await q.query(
        `SELECT visitor_id FROM (
           SELECT visitor_id FROM interest_evidence WHERE destination_id = $1 AND visitor_id > $2
           UNION
           SELECT visitor_id FROM visitor_interests WHERE destination_id = $1 AND visitor_id > $2
         ) v ORDER BY visitor_id LIMIT $3`,
        [destinationId, after, REFRESH_CHUNK],
      );
      if (!page.length) return total;
      add(
        await this.refreshChunk(
          destinationId,
          page.map((r) => r.visitor_id),
          manager,
        ),
      );
      if (page.length < REFRESH_CHUNK) return total;
      after = page[page.length - 1].visitor_id;
    }
  }

  /** Every destination's id, for the nightly refresh. */
  async destinationIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      'SELECT id FROM destinations ORDER BY id',
    );
    return rows.map((r) => r.id);
  }

  private refreshChunk(
    destinationId: string,
    visitorIds: string[],
    manager?: EntityManager,
  ): Promise<RefreshResult> {
    return this.inTransaction(manager, async (m) => {
      await m.query(LOCKS_SQL('$3'), [destinationId, visitorIds, SCORE_LOCK_NAMESPACE]);
      return this.refreshLocked(m, destinationId, visitorIds);
    });
  }

  /** The refresh statement, once the score locks of `visitorIds` are held. */
  private async refreshLocked(
    m: EntityManager,
    destinationId: string,
    visitorIds: string[],
  ): Promise<RefreshResult> {
    const [row]: { upserted: number; deleted: number }[] = await m.query(REFRESH_SQL, [
      destinationId,
      visitorIds,
      this.clock.now().toISOString(),
      this.halfLifeSeconds,
    ]);
    return { visitors: visitorIds.length, upserted: row.upserted, deleted: row.deleted };
  }

  /**
   * Makes `interestIds` the visitor's declared interests: DECLARED evidence (source 'declared')
   * for the new ones, dated now; interests already declared keep their date (declaring the same
   * set again changes nothing); interests no longer declared lose their DECLARED evidence.
   * NOT_FOUND when the visitor is not in the destination.
   */
  async replaceDeclared(
    destinationId: string,
    visitorId: string,
    interestIds: string[],
    manager?: EntityManager,
  ): Promise<void> {
    await this.inTransaction(manager, async (m) => {
      await this.assertVisitor(m, destinationId, visitorId);
      await m.query(
        `DELETE FROM interest_evidence
          WHERE destination_id = $1 AND visitor_id = $2 AND kind = 'DECLARED'
            AND NOT (interest_id = ANY($3::uuid[]))`,
        [destinationId, visitorId, interestIds],
      );
      await m.query(
        `INSERT INTO interest_evidence
                (destination_id, visitor_id, interest_id, kind, weight, source_id, occurred_at)
         SELECT $1, $2, i.id, 'DECLARED', $4, $5, $6
           FROM interests i
          WHERE i.destination_id = $1 AND i.id = ANY($3::uuid[])
         ON CONFLICT (visitor_id, interest_id, kind, source_id) DO NOTHING`,
        [
          destinationId,
          visitorId,
          interestIds,
          DEFAULT_EVIDENCE_WEIGHTS[EvidenceKind.DECLARED],
          DECLARED_SOURCE,
          this.clock.now().toISOString(),
        ],
      );
      await this.refreshScores(destinationId, [visitorId], m);
    });
  }

  /**
   * For a merge: moves every piece of evidence of `fromVisitorId` to `toVisitorId` (same
   * destination). Where both have the same (interest, kind, source), one row stays, with the
   * larger weight and the later time. Then refreshes both visitors' scores (the merged one has
   * none left). Runs in the caller's transaction.
   */
  async moveEvidence(
    manager: EntityManager,
    fromVisitorId: string,
    toVisitorId: string,
  ): Promise<void> {
    if (fromVisitorId === toVisitorId) throw badInput('cannot move evidence to the same visitor');
    const visitors: { id: string; destination_id: string }[] = await manager.query(
      'SELECT id, destination_id FROM visitors WHERE id = ANY($1::uuid[])',
      [[fromVisitorId, toVisitorId]],
    );
    const from = visitors.find((v) => v.id === fromVisitorId);
    const to = visitors.find((v) => v.id === toVisitorId);
    if (!from) throw notFound('Visitor', fromVisitorId);
    if (!to || to.destination_id !== from.destination_id) throw notFound('Visitor', toVisitorId);
    await this.inTransaction(manager, async (m) => {
      await m.query(
        `WITH moved AS (
           DELETE FROM interest_evidence
            WHERE visitor_id = $1 AND destination_id = $3
           RETURNING interest_id, kind, weight, source_id, occurred_at
         )
         INSERT INTO interest_evidence AS e
                (destination_id, visitor_id, interest_id, kind, weight, source_id, occurred_at)
         SELECT $3, $2, interest_id, kind, weight, source_id, occurred_at
           FROM moved
          WHERE true
         ON CONFLICT (visitor_id, interest_id, kind, source_id) DO UPDATE
            SET weight = greatest(e.weight, EXCLUDED.weight),
                occurred_at = greatest(e.occurred_at, EXCLUDED.occurred_at)`,
        [fromVisitorId, toVisitorId, from.destination_id],
      );
      await this.refreshScores(from.destination_id, [fromVisitorId, toVisitorId], m);
    });
  }

  /**
   * The visitor's interests, best score first (ties by slug), at most `top` when given: batched
   * per request over every visitor of the query (one SQL query).
   */
  async visitorInterests(
    loaders: RequestLoaders,
    visitorId: string,
    top?: number | null,
  ): Promise<VisitorInterestView[]> {
    if (top != null && (!Number.isInteger(top) || top < 0)) {
      throw badInput('top must be a positive integer', { field: 'top' });
    }
    const all = await loaders
      .get<string, VisitorInterestView[]>('visitor.interests', async (ids) => {
        const rows = await this.scores.find({
          where: { visitorId: In([...ids]) },
          relations: { interest: true },
          order: { score: 'DESC', interest: { slug: 'ASC' } },
        });
        return groupByKeys(ids, rows, (r) => r.visitorId).map((list) => list.map(toView));
      })
      .load(visitorId);
    return top == null ? all : all.slice(0, top);
  }

  private async assertVisitor(m: EntityManager, destinationId: string, visitorId: string) {
    const found: unknown[] = await m.query(
      'SELECT 1 FROM visitors WHERE id = $1 AND destination_id = $2',
      [visitorId, destinationId],
    );
    if (!found.length) throw notFound('Visitor', visitorId);
  }

  /** Runs `work` in the caller's transaction, or in a new one. */
  private inTransaction<T>(
    manager: EntityManager | undefined,
    work: (m: EntityManager) => Promise<T>,
  ): Promise<T> {
    if (manager?.queryRunner?.isTransactionActive) return work(manager);
    return (manager ?? this.dataSource.manager).transaction(work);
  }
}

function toView(row: VisitorInterestEntity): VisitorInterestView {
  return Object.assign(new VisitorInterestView(), {
    interest: row.interest!,
    score: row.score,
    evidenceCount: row.evidenceCount,
    lastEvidenceAt: row.lastEvidenceAt,
    sources: row.sources,
  });
}

const KINDS = new Set<string>(Object.values(EvidenceKind));

function validItem(item: EvidenceItem): Required<EvidenceItem> {
  const weight = item.weight ?? DEFAULT_EVIDENCE_WEIGHTS[item.kind];
  if (!KINDS.has(item.kind)) throw new Error(`unknown evidence kind ${String(item.kind)}`);
  if (!Number.isFinite(weight) || weight < 0) throw new Error(`bad evidence weight ${weight}`);
  if (!item.sourceId) throw new Error('evidence needs a sourceId');
  if (!(item.occurredAt instanceof Date) || Number.isNaN(item.occurredAt.getTime())) {
    throw new Error('evidence needs a valid occurredAt');
  }
  return { ...item, weight };
}

/** One row per unique key (an upsert cannot touch a row twice): larger weight, later time. */
function dedupe(items: Required<EvidenceItem>[]): Required<EvidenceItem>[] {
  const byKey = new Map<string, Required<EvidenceItem>>();
  for (const item of items) {
    const key = `${item.visitorId}|${item.interestId}|${item.kind}|${item.sourceId}`;
    const seen = byKey.get(key);
    byKey.set(
      key,
      !seen
        ? item
        : {
            ...seen,
            weight: Math.max(seen.weight, item.weight),
            occurredAt: seen.occurredAt > item.occurredAt ? seen.occurredAt : item.occurredAt,
          },
    );
  }
  return [...byKey.values()];
}
