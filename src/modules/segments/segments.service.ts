import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { badInput, conflict, notFound } from '../../common/errors/app-error.js';
import {
  pageRequest,
  toConnection,
  type Connection,
  type PageArgs,
} from '../../common/pagination/relay.js';
import { assertId, isUuid } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { DestinationsService } from '../destinations/destinations.service.js';
import type { DestinationEntity } from '../destinations/destination.entity.js';
import { phaseParams, phaseSql } from '../stays/journey-phase.js';
import { ConsentPurpose } from '../visitors/consent.entity.js';
import { requiresProfilingConsent } from '../visitors/visitor-access.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';
import {
  protectInsights,
  UNKNOWN_KEY,
  type ExactInsights,
  type KeyCount,
  type ProtectedInsights,
} from './audience-insights.policy.js';
import {
  assertValidFilter,
  checkFilter,
  compileFilter,
  DEFAULT_MIN_INTEREST_SCORE,
  filterKey,
  grantedConsentSql,
  interestMask,
  SEGMENT_FACTS,
  SqlParams,
  type InterestRef,
  type NormalizedFilter,
  type SegmentFilterLike,
} from './segment-filter.compiler.js';
import { SegmentEntity } from './segment.entity.js';

/** A filter compiled for one caller: what counts, pages, breakdowns (and campaigns) run. */
export interface CompiledSegment {
  /**
   * One SQL boolean expression over the alias `f` (`FROM ${SEGMENT_FACTS}`, one row per visitor;
   * join `visitors v ON v.id = f.visitor_id` for the rows themselves): the caller's scope (their
   * destination, visitors not erased, PROFILING consent for API keys) AND the filter.
   */
  where: string;
  /** The values of its `$1..$n` placeholders ($1 is the destination). */
  params: unknown[];
  /** The filter, validated and normalised (what a saved segment stores). */
  filter: NormalizedFilter;
  /** Canonical text of the filter (same for reordered equivalents). */
  filterKey: string;
  /** The top-level interest threshold: what byInterest counts with. */
  minInterestScore: number;
  /** The instant the phases were computed at. */
  now: Date;
  /** The caller's destination. */
  destinationId: string;
}

export interface CompileOptions {
  /**
   * Count erased visitors too (their anonymous rows stay for aggregates: audience insights).
   * API keys never see them (they have no consent left).
   */
  includeErased?: boolean;
  now?: Date;
  /** The caller's destination when already loaded (phases need its afterStayDays). */
  destination?: DestinationEntity;
}

export interface Breakdowns extends ExactInsights {
  /** Same as visitorCount. */
  count: number;
}

export interface SegmentPreviewResult {
  count: number;
  sample: VisitorEntity[];
  byInterest: KeyCount[];
  byCountry: KeyCount[];
  byPhase: KeyCount[];
}

export const SAMPLE_SIZE = 10;
const MAX_NAME = 100;
const MAX_DESCRIPTION = 1000;

/**
 * Segments: a filter (segment-filter.compiler.ts) compiled to one SQL boolean expression, run
 * live for exact counts, pages, previews and protected audience insights; saved segments.
 *
 * Public methods for other modules and the benchmark: `compile`, `count`, `page`, `preview`,
 * `insights` (and `insightCounts`, exact, never for clients), `memberIds` (campaigns).
 * Everything is scoped to the caller's destination; an API key sees only visitors whose current
 * PROFILING consent is granted (visitor-access.ts), in every method.
 */
@Injectable()
export class SegmentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(SegmentEntity) private readonly segments: Repository<SegmentEntity>,
    private readonly destinations: DestinationsService,
    private readonly clock: Clock,
  ) {}

  // ---------------------------------------------------------------- compile

  /**
   * Validates `filter` (BAD_USER_INPUT naming every problem: unknown interests, countries,
   * locales...) and compiles it, with the caller's scope, to one parameterised SQL expression.
   */
  async compile(
    auth: AuthContext,
    filter: SegmentFilterLike | null | undefined,
    options: CompileOptions = {},
  ): Promise<CompiledSegment> {
    const checked = checkFilter(filter);
    const interests = checked.slugs.length
      ? await this.interestRefs(auth, checked.slugs)
      : new Map<string, InterestRef>();
    assertValidFilter(
      checked,
      checked.slugs.filter((s) => !interests.has(s)),
    );
    const now = options.now ?? this.clock.now();
    const p = new SqlParams();
    const scope = [`f.destination_id = ${p.add(auth.destinationId)}::uuid`];
    if (!options.includeErased || requiresProfilingConsent(auth)) {
      scope.push('NOT f.erased');
    }
    if (requiresProfilingConsent(auth)) {
      scope.push(grantedConsentSql('f', p.add(null), p.add(ConsentPurpose.PROFILING)));
    }
    const phase = checked.usesPhases
      ? {
          now: now.toISOString(),
          afterDays: (options.destination ?? (await this.destination(auth))).afterStayDays,
        }
      : undefined;
    const sql = compileFilter(
      checked.filter,
      { destinationId: auth.destinationId, interests, phase },
      p,
    );
    return {
      where: sql === 'TRUE' ? scope.join(' AND ') : `${scope.join(' AND ')} AND (${sql})`,
      params: p.values,
      filter: checked.filter,
      filterKey: filterKey(checked.filter),
      minInterestScore: checked.filter.minInterestScore ?? DEFAULT_MIN_INTEREST_SCORE,
      now,
      destinationId: auth.destinationId,
    };
  }

  // ------------------------------------------------------------------ reads

  /** The exact number of visitors the filter selects. */
  async count(auth: AuthContext, filter: SegmentFilterLike | null | undefined): Promise<number> {
    return this.countCompiled(await this.compile(auth, filter));
  }

  /** A page of the selected visitors, oldest first (created_at, id), with an exact total. */
  async page(
    auth: AuthContext,
    filter: SegmentFilterLike | null | undefined,
    args: PageArgs,
  ): Promise<Connection<VisitorEntity>> {
    const { limit, after } = pageRequest(args);
    if (after && (typeof after.sortKey !== 'string' || !isUuid(after.id))) {
      throw badInput('Invalid cursor', { argument: 'after' });
    }
    const afterAt = after ? new Date(after.sortKey) : undefined;
    if (afterAt && Number.isNaN(afterAt.getTime())) {
      throw badInput('Invalid cursor', { argument: 'after' });
    }
    const compiled = await this.compile(auth, filter);
    const p = new SqlParams(compiled.params);
    const cursor = afterAt
      ? ` AND (f.created_at, f.visitor_id) > (${p.add(afterAt.toISOString())}::timestamptz, ${p.add(after!.id)}::uuid)`
      : '';
    const [rows, total] = await Promise.all([
      limit === 0
        ? Promise.resolve([])
        : // The page runs next to the exact count, which takes the parallel workers: a page of
          // at most 101 rows in index order gains nothing from its own (the planner cannot
          // estimate `stay_phase() = …` and would sort a parallel scan for it).
          this.dataSource.transaction(async (m) => {
            await m.query('SET LOCAL max_parallel_workers_per_gather = 0');
            return m.query(
              `SELECT v.* FROM ${SEGMENT_FACTS} JOIN visitors v ON v.id = f.visitor_id
                WHERE ${compiled.where}${cursor}
                ORDER BY f.created_at, f.visitor_id LIMIT ${p.add(limit + 1)}::int`,
              p.values,
            ) as Promise<Record<string, unknown>[]>;
          }),
      this.countCompiled(compiled),
    ]);
    return toConnection(this.hydrate(rows), limit, total, (v) => v.createdAt.toISOString());
  }

  /** Exact count, the 10 most recent visitors, and exact counts by interest, country, phase. */
  async preview(
    auth: AuthContext,
    filter: SegmentFilterLike | null | undefined,
  ): Promise<SegmentPreviewResult> {
    const destination = await this.destination(auth);
    const compiled = await this.compile(auth, filter, { destination });
    const p = new SqlParams(compiled.params);
    const [breakdowns, sample] = await Promise.all([
      this.breakdowns(compiled, destination, false),
      this.dataSource.query(
        `SELECT v.* FROM ${SEGMENT_FACTS} JOIN visitors v ON v.id = f.visitor_id
          WHERE ${compiled.where}
          ORDER BY f.created_at DESC, f.visitor_id DESC LIMIT ${p.add(SAMPLE_SIZE)}::int`,
        p.values,
      ),
    ]);
    return {
      count: breakdowns.count,
      sample: this.hydrate(sample),
      byInterest: breakdowns.byInterest,
      byCountry: breakdowns.byCountry,
      byPhase: breakdowns.byPhase,
    };
  }

  /**
   * The exact counts behind `insights`: for tests and benchmarks only, never for a client. Users'
   * insights count erased visitors' anonymous rows too (DESIGN: aggregates keep them).
   */
  async insightCounts(
    auth: AuthContext,
    filter: SegmentFilterLike | null | undefined,
  ): Promise<ExactInsights & { filterKey: string }> {
    return this.exactInsights(auth, filter, await this.destination(auth));
  }

  /** Audience insights: counts protected as audience-insights.policy.ts explains. */
  async insights(
    auth: AuthContext,
    filter: SegmentFilterLike | null | undefined,
  ): Promise<ProtectedInsights> {
    const destination = await this.destination(auth);
    const exact = await this.exactInsights(auth, filter, destination);
    return protectInsights(exact, destination.secretSalt, exact.filterKey);
  }

  /** Which of `visitorIds` the filter selects (for campaigns: is this guest in the segment?). */
  async memberIds(
    auth: AuthContext,
    filter: SegmentFilterLike | null | undefined,
    visitorIds: readonly string[],
  ): Promise<string[]> {
    const ids = [...new Set(visitorIds)].filter(isUuid);
    if (!ids.length) return [];
    const compiled = await this.compile(auth, filter);
    const p = new SqlParams(compiled.params);
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT f.visitor_id AS id FROM ${SEGMENT_FACTS}
        WHERE ${compiled.where} AND f.visitor_id = ANY(${p.add(ids)}::uuid[])`,
      p.values,
    );
    return rows.map((r) => r.id);
  }

  // -------------------------------------------------------- saved segments

  list(auth: AuthContext): Promise<SegmentEntity[]> {
    return this.segments.find({
      where: { destinationId: auth.destinationId },
      order: { name: 'ASC', id: 'ASC' },
    });
  }

  /** A segment of the caller's destination, or NOT_FOUND. */
  async get(auth: AuthContext, id: string): Promise<SegmentEntity> {
    const segment = await this.segments.findOneBy({
      id: assertId(id),
      destinationId: auth.destinationId,
    });
    if (!segment) throw notFound('Segment', id);
    return segment;
  }

  /** Validates the filter (as `compile`) and stores it normalised. Names are unique. */
  async create(
    auth: AuthContext,
    input: { name: string; description?: string | null; filter: SegmentFilterLike },
  ): Promise<SegmentEntity> {
    const name = input.name.trim();
    if (!name || name.length > MAX_NAME) {
      throw badInput(`A segment name has 1 to ${MAX_NAME} characters`, { field: 'name' });
    }
    const description = input.description?.trim() || null;
    if (description && description.length > MAX_DESCRIPTION) {
      throw badInput(`A description has at most ${MAX_DESCRIPTION} characters`, {
        field: 'description',
      });
    }
    const { filter } = await this.compile(auth, input.filter);
    const taken = () =>
      conflict(`A segment named "${name}" already exists`, { field: 'name', name });
    if (await this.segments.existsBy({ destinationId: auth.destinationId, name })) throw taken();
    try {
      return await this.segments.save(
        this.segments.create({ destinationId: auth.destinationId, name, description, filter }),
      );
    } catch (error) {
      // Two creations at once: the unique index decides.
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === '23505'
      ) {
        throw taken();
      }
      throw error;
    }
  }

  async delete(auth: AuthContext, id: string): Promise<boolean> {
    const segment = await this.get(auth, id);
    await this.segments.delete({ id: segment.id, destinationId: auth.destinationId });
    return true;
  }

  // -------------------------------------------------------------- internals

  private async countCompiled(compiled: CompiledSegment): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM ${SEGMENT_FACTS} WHERE ${compiled.where}`,
      compiled.params,
    );
    return row.n;
  }

  /**
   * Every count of a preview or of insights in ONE statement: the selected visitors are
   * materialised once (id, country, phase, tier), then counted by each key. With
   * `fingerprint`, also an order-independent hash of the set (for the insights' noise).
   */
  private async breakdowns(
    compiled: CompiledSegment,
    destination: DestinationEntity,
    fingerprint: boolean,
  ): Promise<Breakdowns> {
    const p = new SqlParams(compiled.params);
    const { phaseNow, phaseAfterDays } = phaseParams(compiled.now, destination.afterStayDays);
    const phase = phaseSql('f', p.add(phaseNow), p.add(phaseAfterDays));
    const groups = (select: string) =>
      `(SELECT coalesce(json_agg(json_build_object('key', g.key, 'count', g.count)
                 ORDER BY g.count DESC, g.key), '[]'::json)
          FROM (${select}) g)`;
    const [row]: {
      total: number;
      fingerprint: string | null;
      by_interest: KeyCount[];
      by_country: KeyCount[];
      by_phase: KeyCount[];
      by_tier: KeyCount[];
    }[] = await this.dataSource.query(
      `WITH m AS MATERIALIZED (
         SELECT f.visitor_id AS id, f.country_code, f.interest_bits, ${phase} AS phase,
                f.ambassador_tier::text AS tier
           FROM ${SEGMENT_FACTS}
          WHERE ${compiled.where}
       )
       SELECT (SELECT count(*) FROM m)::int AS total,
              ${fingerprint ? '(SELECT coalesce(bit_xor(uuid_hash_extended(m.id, 0)), 0) FROM m)::text' : 'NULL'} AS fingerprint,
              ${groups(await this.byInterestSql(compiled, p))} AS by_interest,
              ${groups(
                `SELECT coalesce(m.country_code, ${p.add(UNKNOWN_KEY)}::text) AS key, count(*)::int AS count
                   FROM m GROUP BY 1`,
              )} AS by_country,
              ${groups('SELECT m.phase AS key, count(*)::int AS count FROM m GROUP BY 1')} AS by_phase,
              ${groups('SELECT m.tier AS key, count(*)::int AS count FROM m GROUP BY 1')} AS by_tier`,
      p.values,
    );
    return {
      count: row.total,
      visitorCount: row.total,
      fingerprint: row.fingerprint ?? '',
      byInterest: row.by_interest,
      byCountry: row.by_country,
      byPhase: row.by_phase,
      byTier: row.by_tier,
    };
  }

  /**
   * Counts by interest of the selected visitors `m` (key, count; only counts above 0). At the
   * cached threshold, one pass over `m` testing each interest's bit (its mask a parameter), plus
   * the scores of interests without a bit; at another threshold, the scores.
   */
  private async byInterestSql(compiled: CompiledSegment, p: SqlParams): Promise<string> {
    const scored = (ids: string) =>
      `SELECT i.slug AS key, count(*)::int AS count
         FROM m
         JOIN visitor_interests vi ON vi.visitor_id = m.id
          AND vi.score >= ${p.add(compiled.minInterestScore)}::float8
         JOIN interests i ON i.id = vi.interest_id${ids}
        GROUP BY i.slug`;
    if (compiled.minInterestScore !== DEFAULT_MIN_INTEREST_SCORE) return scored('');
    const interests = [...(await this.interestRefs(compiled.destinationId)).entries()];
    const bitted = interests.filter(([, i]) => i.bit !== null);
    const parts = [];
    if (bitted.length) {
      const counts = bitted.map(
        ([, i]) =>
          `count(*) FILTER (WHERE m.interest_bits & ${p.add(interestMask([i]))}::bigint <> 0)`,
      );
      parts.push(`SELECT x.key, x.count::int AS count
          FROM (SELECT ARRAY[${counts.join(', ')}] AS counts FROM m) c
         CROSS JOIN LATERAL unnest(${p.add(bitted.map(([slug]) => slug))}::text[], c.counts) AS x(key, count)
         WHERE x.count > 0`);
    }
    const unbitted = interests.filter(([, i]) => i.bit === null).map(([, i]) => i.id);
    if (unbitted.length) parts.push(scored(` AND i.id = ANY(${p.add(unbitted)}::uuid[])`));
    return parts.length
      ? parts.join(' UNION ALL ')
      : 'SELECT NULL::text AS key, 0 AS count WHERE false';
  }

  private async exactInsights(
    auth: AuthContext,
    filter: SegmentFilterLike | null | undefined,
    destination: DestinationEntity,
  ): Promise<ExactInsights & { filterKey: string }> {
    const compiled = await this.compile(auth, filter, { includeErased: true, destination });
    const { count: _count, ...exact } = await this.breakdowns(compiled, destination, true);
    return { ...exact, filterKey: compiled.filterKey };
  }

  /**
   * The destination's interests (slug → id and bit), read directly: the compiler needs the bits,
   * which the entity does not expose. With `slugs`, only those.
   */
  private async interestRefs(
    authOrDestination: AuthContext | string,
    slugs?: string[],
  ): Promise<Map<string, InterestRef>> {
    const destinationId =
      typeof authOrDestination === 'string' ? authOrDestination : authOrDestination.destinationId;
    const rows: { slug: string; id: string; bit: number | null }[] = await this.dataSource.query(
      `SELECT slug, id, bit FROM interests WHERE destination_id = $1::uuid
          AND ($2::text[] IS NULL OR slug = ANY($2::text[]))`,
      [destinationId, slugs ?? null],
    );
    return new Map(rows.map((r) => [r.slug, { id: r.id, bit: r.bit }]));
  }

  private destination(auth: AuthContext): Promise<DestinationEntity> {
    return this.destinations.get(auth);
  }

  /** Raw `visitors` rows (SELECT v.*) as entities, through TypeORM's own column conversions. */
  private hydrate(rows: Record<string, unknown>[]): VisitorEntity[] {
    const metadata = this.dataSource.getMetadata(VisitorEntity);
    const driver = this.dataSource.driver;
    return rows.map((raw) => {
      const visitor = metadata.create() as VisitorEntity;
      for (const column of metadata.columns) {
        if (!(column.databaseName in raw)) continue;
        column.setEntityValue(
          visitor,
          driver.prepareHydratedValue(raw[column.databaseName], column),
        );
      }
      return visitor;
    });
  }
}
