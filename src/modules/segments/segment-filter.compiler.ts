/**
 * The segment filter language (`SegmentFilterInput`) → ONE parameterised SQL boolean expression
 * over the alias `f` (table `segment_facts`: one narrow row per visitor, kept by triggers in the
 * transaction of every write; migration SegmentFacts).
 *
 * Two steps, both pure (the service does the database look-ups in between):
 *
 * 1. `checkFilter(input)` validates and normalises a filter, whether it comes from GraphQL, from
 *    a saved segment's JSON or from code: at most 8 levels and 200 conditions (BAD_USER_INPUT at
 *    once, before any other work), then every value: country codes (upper-cased), locales
 *    (canonical BCP 47), tags (trimmed, lower-case, as visitors store them), interest slugs
 *    (lower-case; their existence is checked by the caller), enums, score ranges, date ranges.
 *    The problems are collected and reported together, each with its path. It answers the
 *    normalised filter (plain JSON: what a saved segment stores), the slugs to resolve and
 *    whether the phase parameters are needed.
 * 2. `compileFilter(filter, context, params)` writes the SQL. Values never enter the SQL text:
 *    each one is a `$n` placeholder in `params` (with an explicit cast), so the text depends only
 *    on the filter's shape. Every criterion's SQL is in `SEGMENT_SQL` below: the one place to tune.
 *
 * Semantics (every criterion given in one filter must hold):
 * - `interestsAny`: the visitor has at least one of the interests with a materialised score
 *   (`visitor_interests`) ≥ `minInterestScore`; `interestsAll`: every one of them. The threshold
 *   defaults to 0.2 and is inherited by nested filters that do not set their own. At 0.2 the
 *   compiler tests the bit set of the facts row (`interest_bits`: bit `interests.bit` of each
 *   strong interest; an interest beyond a destination's first 64 has no bit and is read from the
 *   scores); at any other threshold, the scores.
 * - `phases`: `stay_phase()` of the stay facts cached on the row (stays/journey-phase.ts), the
 *   same definition as `Visitor.phase`.
 * - `stayOverlaps`: a stay that is not cancelled overlaps [from, to) (either bound open).
 * - `countries`: ISO 3166-1 alpha-2. `locales`: a tag matches itself and the more specific tags
 *   it starts ("fr" matches "fr", "fr-FR", "fr-CA"; "fr-FR" does not match "fr-CA").
 * - `tagsAny`: at least one of the tags.
 * - `ambassadorTiers` / `minAmbassadorScore`: the `ambassador_scores` row copied on the facts row
 *   (a visitor without one is NONE / 0).
 * - `hasConsent`: the visitor's current (newest) consent record for (channel, purpose) is
 *   granted, as `visitor_consent()` decides (read from the cached `granted_consents`, see
 *   grantedConsentSql); no channel means the channel-less record (the way PROFILING is recorded).
 * - `interactedSince`: the visitor has an interaction (any kind, any provider) at or after the
 *   instant.
 * Criteria on other tables (scores at another threshold, stays, interactions) are uncorrelated
 * `IN (SELECT visitor_id … WHERE destination_id = $1 …)`: a semi-join at the top, a hashed
 * subplan under `or` / `not`, never a subquery per visitor.
 * - `and`: every sub-filter; `or`: at least one; `not`: the visitors the sub-filter does not
 *   select (a visitor with no country is "not in FR": NULLs never leak through a `not`).
 * - An empty list is the same as an absent field; an empty filter selects everyone.
 */
import { badInput } from '../../common/errors/app-error.js';
import { canonicalLocale } from '../../common/validation.js';
import { STRONG_INTEREST_SCORE } from '../interests/interest-scores.service.js';
import { JourneyPhase, phaseSql, stayOverlapsSql } from '../stays/journey-phase.js';
import { Channel, ConsentPurpose } from '../visitors/consent.entity.js';
import { isCountryCode } from '../visitors/visitor-fields.js';
import { AmbassadorTier } from './segment-filter.input.js';

export const MAX_FILTER_DEPTH = 8;
export const MAX_FILTER_CONDITIONS = 200;
/** The cached threshold (`segment_facts.interest_bits`): the default costs one integer test. */
export const DEFAULT_MIN_INTEREST_SCORE = STRONG_INTEREST_SCORE;
export const MAX_AMBASSADOR_SCORE = 100;

/** The table the compiled filter reads, with its alias: `FROM ${SEGMENT_FACTS}`. */
export const SEGMENT_FACTS = 'segment_facts f';

/** A filter as the compiler takes it: the GraphQL input, a saved segment's JSON, or a literal. */
export interface SegmentFilterLike {
  interestsAny?: readonly string[] | null;
  interestsAll?: readonly string[] | null;
  minInterestScore?: number | null;
  phases?: readonly (JourneyPhase | `${JourneyPhase}`)[] | null;
  stayOverlaps?: { from?: Date | string | null; to?: Date | string | null } | null;
  countries?: readonly string[] | null;
  locales?: readonly string[] | null;
  tagsAny?: readonly string[] | null;
  ambassadorTiers?: readonly (AmbassadorTier | `${AmbassadorTier}`)[] | null;
  minAmbassadorScore?: number | null;
  hasConsent?: {
    channel?: Channel | `${Channel}` | null;
    purpose: ConsentPurpose | `${ConsentPurpose}`;
  } | null;
  interactedSince?: Date | string | null;
  and?: readonly SegmentFilterLike[] | null;
  or?: readonly SegmentFilterLike[] | null;
  not?: SegmentFilterLike | null;
}

/** A validated filter with canonical values and no empty fields: plain JSON, what is stored. */
export interface NormalizedFilter {
  interestsAny?: string[];
  interestsAll?: string[];
  minInterestScore?: number;
  phases?: JourneyPhase[];
  stayOverlaps?: { from: string | null; to: string | null };
  countries?: string[];
  locales?: string[];
  tagsAny?: string[];
  ambassadorTiers?: AmbassadorTier[];
  minAmbassadorScore?: number;
  hasConsent?: { channel: Channel | null; purpose: ConsentPurpose };
  interactedSince?: string;
  and?: NormalizedFilter[];
  or?: NormalizedFilter[];
  not?: NormalizedFilter;
}

export interface CheckedFilter {
  filter: NormalizedFilter;
  /** Every interest slug named anywhere in the filter, lower-case, sorted, once each. */
  slugs: string[];
  /** Whether the SQL needs the phase parameters (now, the destination's afterStayDays). */
  usesPhases: boolean;
  /** Value problems, each "path: problem"; empty when the filter is valid. */
  errors: string[];
  /** The unknown values named in `errors`, by kind (for clients). */
  unknown: { countries: string[]; locales: string[] };
}

const CRITERIA = [
  'interestsAny',
  'interestsAll',
  'phases',
  'stayOverlaps',
  'countries',
  'locales',
  'tagsAny',
  'ambassadorTiers',
  'minAmbassadorScore',
  'hasConsent',
  'interactedSince',
] as const;
const KNOWN_FIELDS = new Set<string>([...CRITERIA, 'minInterestScore', 'and', 'or', 'not']);
const PHASES = new Set<string>(Object.values(JourneyPhase));
const TIERS = new Set<string>(Object.values(AmbassadorTier));
const CHANNELS = new Set<string>(Object.values(Channel));
const PURPOSES = new Set<string>(Object.values(ConsentPurpose));

const isPresent = (value: unknown) =>
  value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
const sortedUnique = <T extends string>(values: T[]) => [...new Set(values)].sort();

/**
 * Refuses a filter deeper than MAX_FILTER_DEPTH levels (the top filter is level 1) or with more
 * than MAX_FILTER_CONDITIONS conditions, counting each criterion and each nested filter as one.
 * Runs over the raw input without recursion and stops at the first excess, whatever the size.
 */
function checkShape(input: unknown): void {
  let conditions = 0;
  const stack: { node: unknown; depth: number }[] = [{ node: input, depth: 1 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (!isObject(node)) continue; // reported by checkNode
    if (depth > MAX_FILTER_DEPTH) {
      throw badInput(
        `The filter is nested more than ${MAX_FILTER_DEPTH} levels deep: simplify it`,
        { argument: 'filter', maxDepth: MAX_FILTER_DEPTH },
      );
    }
    for (const key of CRITERIA) if (isPresent(node[key])) conditions++;
    const children = [
      ...(Array.isArray(node.and) ? node.and : []),
      ...(Array.isArray(node.or) ? node.or : []),
      ...(isPresent(node.not) ? [node.not] : []),
    ];
    conditions += children.length;
    if (conditions > MAX_FILTER_CONDITIONS) {
      throw badInput(
        `The filter has more than ${MAX_FILTER_CONDITIONS} conditions (criteria and nested filters): split it`,
        { argument: 'filter', maxConditions: MAX_FILTER_CONDITIONS },
      );
    }
    for (const child of children) stack.push({ node: child, depth: depth + 1 });
  }
}

/** Validates and normalises a filter; structural excess throws, value problems are listed. */
export function checkFilter(input: SegmentFilterLike | null | undefined): CheckedFilter {
  const result: CheckedFilter = {
    filter: {},
    slugs: [],
    usesPhases: false,
    errors: [],
    unknown: { countries: [], locales: [] },
  };
  if (input === null || input === undefined) return result;
  checkShape(input);
  const slugs = new Set<string>();
  result.filter = checkNode(input, 'filter', result, slugs);
  result.slugs = [...slugs].sort();
  result.unknown.countries = sortedUnique(result.unknown.countries);
  result.unknown.locales = sortedUnique(result.unknown.locales);
  return result;
}

/** Throws one BAD_USER_INPUT naming every problem (and every unknown interest slug). */
export function assertValidFilter(checked: CheckedFilter, unknownInterests: string[] = []): void {
  const errors = [...checked.errors];
  if (unknownInterests.length) {
    errors.unshift(`filter: unknown interests: ${unknownInterests.join(', ')}`);
  }
  if (!errors.length) return;
  throw badInput(`Invalid segment filter: ${errors.join('; ')}`, {
    argument: 'filter',
    errors,
    unknown: { interests: unknownInterests, ...checked.unknown },
  });
}

function checkNode(
  raw: unknown,
  path: string,
  result: CheckedFilter,
  slugs: Set<string>,
): NormalizedFilter {
  const out: NormalizedFilter = {};
  if (!isObject(raw)) {
    result.errors.push(`${path}: a filter must be an object`);
    return out;
  }
  const node = raw as Record<string, unknown>;
  const problem = (field: string, message: string) =>
    result.errors.push(`${path}.${field}: ${message}`);
  for (const key of Object.keys(node)) {
    if (!KNOWN_FIELDS.has(key) && node[key] !== undefined) problem(key, 'unknown field');
  }

  const strings = (field: string): string[] | undefined => {
    const value = node[field];
    if (!isPresent(value)) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      problem(field, 'must be a list of strings');
      return undefined;
    }
    return value as string[];
  };
  const enums = <T extends string>(field: string, allowed: Set<string>): T[] | undefined => {
    const values = strings(field);
    if (!values) return undefined;
    const bad = values.filter((v) => !allowed.has(v));
    if (bad.length) problem(field, `unknown values: ${bad.join(', ')}`);
    return bad.length ? undefined : sortedUnique(values as T[]);
  };
  const number = (field: string, min: number, max: number): number | undefined => {
    const value = node[field];
    if (value === null || value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      problem(field, `must be a number from ${min} to ${max}`);
      return undefined;
    }
    return value;
  };
  const instant = (field: string, value: unknown): string | null | undefined => {
    if (value === null || value === undefined) return null;
    const date =
      value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      problem(field, 'must be an ISO-8601 instant');
      return undefined;
    }
    return date.toISOString();
  };

  for (const field of ['interestsAny', 'interestsAll'] as const) {
    const values = strings(field);
    if (!values) continue;
    const normalized = sortedUnique(values.map((s) => s.trim().toLowerCase()));
    normalized.forEach((s) => slugs.add(s));
    out[field] = normalized;
  }
  const minInterestScore = number('minInterestScore', 0, 1);
  if (minInterestScore !== undefined) out.minInterestScore = minInterestScore;

  const phases = enums<JourneyPhase>('phases', PHASES);
  if (phases) {
    out.phases = phases;
    result.usesPhases = true;
  }

  if (isPresent(node.stayOverlaps)) {
    const range = node.stayOverlaps;
    if (!isObject(range)) {
      problem('stayOverlaps', 'must be an object {from, to}');
    } else {
      const from = instant('stayOverlaps.from', range.from);
      const to = instant('stayOverlaps.to', range.to);
      if (from && to && from >= to) problem('stayOverlaps', '`from` must be before `to`');
      else if (from !== undefined && to !== undefined) out.stayOverlaps = { from, to };
    }
  }

  const countries = strings('countries');
  if (countries) {
    const codes = countries.map((c) => c.trim().toUpperCase());
    const bad = codes.filter((c) => !isCountryCode(c));
    if (bad.length) {
      problem('countries', `unknown country codes: ${bad.join(', ')}`);
      result.unknown.countries.push(...bad);
    } else {
      out.countries = sortedUnique(codes);
    }
  }

  const locales = strings('locales');
  if (locales) {
    const canonical = locales.map((l) => canonicalLocale(l.trim()));
    const bad = locales.filter((_, i) => !canonical[i]);
    if (bad.length) {
      problem('locales', `unknown locales (not BCP 47 tags): ${bad.join(', ')}`);
      result.unknown.locales.push(...bad);
    } else {
      out.locales = sortedUnique(canonical as string[]);
    }
  }

  const tags = strings('tagsAny');
  if (tags) {
    const normalized = sortedUnique(tags.map((t) => t.trim().toLowerCase()).filter(Boolean));
    if (normalized.length) out.tagsAny = normalized;
  }

  const tiers = enums<AmbassadorTier>('ambassadorTiers', TIERS);
  if (tiers) out.ambassadorTiers = tiers;
  const minAmbassadorScore = number('minAmbassadorScore', 0, MAX_AMBASSADOR_SCORE);
  if (minAmbassadorScore !== undefined) out.minAmbassadorScore = minAmbassadorScore;

  if (isPresent(node.hasConsent)) {
    const consent = node.hasConsent;
    if (!isObject(consent)) {
      problem('hasConsent', 'must be an object {channel, purpose}');
    } else {
      const channel = consent.channel ?? null;
      const purpose = consent.purpose;
      if (channel !== null && !CHANNELS.has(channel as string)) {
        problem('hasConsent.channel', `unknown channel: ${String(channel)}`);
      } else if (!PURPOSES.has(purpose as string)) {
        problem('hasConsent.purpose', `unknown purpose: ${String(purpose)}`);
      } else {
        out.hasConsent = { channel: channel as Channel | null, purpose: purpose as ConsentPurpose };
      }
    }
  }

  if (isPresent(node.interactedSince)) {
    const since = instant('interactedSince', node.interactedSince);
    if (since) out.interactedSince = since;
  }

  for (const field of ['and', 'or'] as const) {
    const value = node[field];
    if (!isPresent(value)) continue;
    if (!Array.isArray(value)) {
      problem(field, 'must be a list of filters');
      continue;
    }
    out[field] = value.map((child, i) => checkNode(child, `${path}.${field}[${i}]`, result, slugs));
  }
  if (isPresent(node.not)) out.not = checkNode(node.not, `${path}.not`, result, slugs);
  return out;
}

/**
 * A canonical string of a normalised filter: the same for filters that differ only in the order
 * of their keys, of their list values or of their `and` / `or` branches.
 */
export function filterKey(filter: NormalizedFilter): string {
  const canonical = (node: NormalizedFilter): unknown => {
    const entries = Object.entries(node)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): [string, unknown] => {
        if (k === 'and' || k === 'or') {
          return [k, (v as NormalizedFilter[]).map((c) => JSON.stringify(canonical(c))).sort()];
        }
        if (k === 'not') return [k, canonical(v as NormalizedFilter)];
        if (k === 'stayOverlaps' || k === 'hasConsent') {
          return [k, Object.fromEntries(Object.entries(v as object).sort())];
        }
        return [k, v];
      })
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  };
  return JSON.stringify(canonical(filter));
}

// ------------------------------------------------------------------------------------ SQL

/**
 * The values of one SQL statement, as `$n` placeholders. A scalar value given twice (a threshold,
 * "now") reuses its placeholder; lists always get their own.
 */
export class SqlParams {
  readonly values: unknown[];
  private readonly scalars = new Map<string, string>();

  /** Continues after `initial` (a compiled filter's values), which keep their positions. */
  constructor(initial: readonly unknown[] = []) {
    this.values = [...initial];
    initial.forEach((value, i) => {
      const key = scalarKey(value);
      if (key && !this.scalars.has(key)) this.scalars.set(key, `$${i + 1}`);
    });
  }

  add(value: unknown): string {
    const key = scalarKey(value);
    const known = key && this.scalars.get(key);
    if (known) return known;
    this.values.push(value);
    const placeholder = `$${this.values.length}`;
    if (key) this.scalars.set(key, placeholder);
    return placeholder;
  }
}

function scalarKey(value: unknown): string | undefined {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value)
    ? `${typeof value}:${String(value)}`
    : undefined;
}

/** A compiled condition; `nullable` when it may be NULL (then `not` must not negate it as is). */
export interface SqlCondition {
  sql: string;
  nullable: boolean;
}

const sure = (sql: string): SqlCondition => ({ sql, nullable: false });

/**
 * "The current consent of visitor `v` for (channel, purpose) is granted", read from the row's
 * cached `granted_consents` (the `consent_key()` of each pair `visitor_consent()` grants, kept by
 * triggers on consents): the same answer as `visitor_consent(v.id, channel, purpose)` without a
 * subquery per row. `channel` and `purpose` are placeholders (a NULL channel: the channel-less
 * record, the way PROFILING is recorded).
 */
export function grantedConsentSql(alias: string, channel: string, purpose: string): string {
  return `${alias}.granted_consents @> ARRAY[consent_key(${channel}::text, ${purpose}::text)]`;
}

/** An interest of the destination: its id and its bit in `segment_facts.interest_bits`. */
export interface InterestRef {
  id: string;
  /** 0–63, or null for an interest beyond the destination's first 64 (read from the scores). */
  bit: number | null;
}

/** The bit set of interests that have a bit, as the text of a bigint (past 2^53 in JS). */
export function interestMask(interests: readonly InterestRef[]): string {
  let mask = 0n;
  for (const i of interests) if (i.bit !== null) mask |= 1n << BigInt(i.bit);
  return BigInt.asIntN(64, mask).toString();
}

/** "The visitor has a score ≥ min for one of these interests", read from the scores. */
const scoredSql = (p: SqlParams, destination: string, ids: string[], minScore: number) =>
  `f.visitor_id IN (SELECT vi.visitor_id FROM visitor_interests vi` +
  ` WHERE vi.destination_id = ${p.add(destination)}::uuid AND vi.interest_id = ANY(${p.add(ids)}::uuid[])` +
  ` AND vi.score >= ${p.add(minScore)}::float8)`;

const joined = (parts: string[], operator: string) =>
  parts.length === 1 ? parts[0] : `(${parts.join(` ${operator} `)})`;

/**
 * The SQL of each criterion, over the facts alias `f`: the one place to tune (indexes,
 * materialised columns). Each takes the statement's parameters and the normalised values.
 */
export const SEGMENT_SQL = {
  // At the cached threshold, the row's bit set (interests without a bit: their scores); at any
  // other, the materialised scores themselves (index-only on visitor_interests_by_score).
  interestsAny: (p: SqlParams, destination: string, interests: InterestRef[], minScore: number) => {
    if (minScore !== STRONG_INTEREST_SCORE) {
      return sure(
        scoredSql(
          p,
          destination,
          interests.map((i) => i.id),
          minScore,
        ),
      );
    }
    const parts: string[] = [];
    if (interests.some((i) => i.bit !== null)) {
      parts.push(`f.interest_bits & ${p.add(interestMask(interests))}::bigint <> 0`);
    }
    const unbitted = interests.filter((i) => i.bit === null).map((i) => i.id);
    if (unbitted.length) parts.push(scoredSql(p, destination, unbitted, minScore));
    return sure(joined(parts, 'OR'));
  },
  interestsAll: (p: SqlParams, destination: string, interests: InterestRef[], minScore: number) => {
    const parts: string[] = [];
    const cached =
      minScore === STRONG_INTEREST_SCORE ? interests.filter((i) => i.bit !== null) : [];
    if (cached.length) {
      const mask = p.add(interestMask(cached));
      parts.push(`f.interest_bits & ${mask}::bigint = ${mask}::bigint`);
    }
    for (const i of interests.filter((x) => !cached.includes(x))) {
      parts.push(scoredSql(p, destination, [i.id], minScore));
    }
    return sure(joined(parts, 'AND'));
  },
  // stay_phase() decodes two multiranges per row; the row's scalar ends of them rule most rows
  // out first. Each test is implied by its phases' definition (DURING or BEFORE: a booked stay
  // ends after now; AFTER: a departure after now − afterDays), so the answer is the same, and
  // never NULL: where the exact test holds, the column it implies is set.
  phases: (p: SqlParams, phases: JourneyPhase[], now: string, afterDays: number) => {
    const [at, days] = [p.add(now), p.add(afterDays)];
    const exact = `${phaseSql('f', at, days)} = ANY(${p.add(phases)}::text[])`;
    if (phases.includes(JourneyPhase.NONE)) return sure(exact);
    const implied: string[] = [];
    if (phases.includes(JourneyPhase.DURING) || phases.includes(JourneyPhase.BEFORE)) {
      implied.push(`f.booked_until > ${at}::timestamptz`);
    }
    if (phases.includes(JourneyPhase.AFTER)) {
      implied.push(
        `f.departed_until > ${at}::timestamptz - make_interval(days => ${days}::integer)`,
      );
    }
    return sure(`(${joined(implied, 'OR')} AND ${exact})`);
  },
  stayOverlaps: (p: SqlParams, destination: string, from: string | null, to: string | null) =>
    sure(
      `f.visitor_id IN (${stayOverlapsSql(p.add(destination), from === null ? null : p.add(from), to === null ? null : p.add(to))})`,
    ),
  countries: (p: SqlParams, codes: string[]) => ({
    sql: `f.country_code = ANY(${p.add(codes)}::text[])`,
    nullable: true,
  }),
  locales: (p: SqlParams, tags: string[]) => ({
    sql: `(f.locale = ANY(${p.add(tags)}::text[]) OR f.locale LIKE ANY(${p.add(tags.map((t) => `${t}-%`))}::text[]))`,
    nullable: true,
  }),
  tagsAny: (p: SqlParams, tags: string[]) => sure(`f.tags && ${p.add(tags)}::text[]`),
  ambassadorTiers: (p: SqlParams, tiers: AmbassadorTier[]) =>
    sure(`f.ambassador_tier::text = ANY(${p.add(tiers)}::text[])`),
  minAmbassadorScore: (p: SqlParams, min: number) =>
    sure(`f.ambassador_score >= ${p.add(min)}::float8`),
  hasConsent: (p: SqlParams, channel: Channel | null, purpose: ConsentPurpose) =>
    sure(grantedConsentSql('f', p.add(channel), p.add(purpose))),
  interactedSince: (p: SqlParams, destination: string, since: string) =>
    sure(
      `f.visitor_id IN (SELECT i.visitor_id FROM interactions i` +
        ` WHERE i.destination_id = ${p.add(destination)}::uuid AND i.visitor_id IS NOT NULL` +
        ` AND i.occurred_at >= ${p.add(since)}::timestamptz)`,
    ),
};

export interface CompileContext {
  /** The caller's destination (criteria reading other tables are scoped to it). */
  destinationId: string;
  /** slug → interest, in the caller's destination; must hold every slug of the filter. */
  interests: ReadonlyMap<string, InterestRef>;
  /** Needed when the filter uses phases: the instant and the destination's afterStayDays. */
  phase?: { now: string; afterDays: number };
}

/**
 * The SQL boolean expression of a normalised filter over alias `f` (SEGMENT_FACTS), its values added to
 * `params`. TRUE for an empty filter. The caller adds the tenant scope (see SegmentsService).
 */
export function compileFilter(
  filter: NormalizedFilter,
  context: CompileContext,
  params: SqlParams,
): string {
  return compileNode(filter, context, params, DEFAULT_MIN_INTEREST_SCORE).sql;
}

function compileNode(
  node: NormalizedFilter,
  context: CompileContext,
  p: SqlParams,
  inheritedMinScore: number,
): SqlCondition {
  const minScore = node.minInterestScore ?? inheritedMinScore;
  const parts: SqlCondition[] = [];
  const refs = (slugs: string[]) =>
    slugs.map((slug) => {
      const ref = context.interests.get(slug);
      if (!ref) throw new Error(`compileFilter: interest ${slug} was not resolved`);
      return ref;
    });
  const destination = context.destinationId;
  if (node.interestsAny) {
    parts.push(SEGMENT_SQL.interestsAny(p, destination, refs(node.interestsAny), minScore));
  }
  if (node.interestsAll) {
    parts.push(SEGMENT_SQL.interestsAll(p, destination, refs(node.interestsAll), minScore));
  }
  if (node.phases) {
    if (!context.phase) throw new Error('compileFilter: phases need the phase parameters');
    parts.push(SEGMENT_SQL.phases(p, node.phases, context.phase.now, context.phase.afterDays));
  }
  if (node.stayOverlaps) {
    parts.push(
      SEGMENT_SQL.stayOverlaps(p, destination, node.stayOverlaps.from, node.stayOverlaps.to),
    );
  }
  if (node.countries) parts.push(SEGMENT_SQL.countries(p, node.countries));
  if (node.locales) parts.push(SEGMENT_SQL.locales(p, node.locales));
  if (node.tagsAny) parts.push(SEGMENT_SQL.tagsAny(p, node.tagsAny));
  if (node.ambassadorTiers) parts.push(SEGMENT_SQL.ambassadorTiers(p, node.ambassadorTiers));
  if (node.minAmbassadorScore !== undefined) {
    parts.push(SEGMENT_SQL.minAmbassadorScore(p, node.minAmbassadorScore));
  }
  if (node.hasConsent) {
    parts.push(SEGMENT_SQL.hasConsent(p, node.hasConsent.channel, node.hasConsent.purpose));
  }
  if (node.interactedSince) {
    parts.push(SEGMENT_SQL.interactedSince(p, destination, node.interactedSince));
  }
  for (const child of node.and ?? []) parts.push(compileNode(child, context, p, minScore));
  if (node.or) {
    const branches = node.or.map((child) => compileNode(child, context, p, minScore));
    parts.push({
      sql: `(${branches.map((b) => b.sql).join(' OR ')})`,
      nullable: branches.some((b) => b.nullable),
    });
  }
  if (node.not) {
    const inner = compileNode(node.not, context, p, minScore);
    // NOT NULL is NULL: a visitor with no country would be neither in FR nor "not in FR".
    parts.push(sure(inner.nullable ? `((${inner.sql}) IS NOT TRUE)` : `NOT (${inner.sql})`));
  }
  if (!parts.length) return sure('TRUE');
  if (parts.length === 1) return parts[0];
  return {
    sql: `(${parts.map((c) => c.sql).join(' AND ')})`,
    nullable: parts.some((c) => c.nullable),
  };
}
