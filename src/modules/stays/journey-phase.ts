import { registerEnumType } from '@nestjs/graphql';

/**
 * Where a visitor is in their journey, relative to now and their stays.
 *
 * The ONE definition is the SQL function `stay_phase(booked, departures, now, after_days)`
 * (migration SegmentsPerformance): DURING when now is inside a BOOKED stay (arrival included,
 * departure excluded); else BEFORE when a BOOKED stay starts later; else AFTER when a stay that
 * was not cancelled ended less than `after_days` days ago (the destination's `afterStayDays`, 90
 * by default); else NONE. Cancelled stays never count. Its inputs are cached on the visitor row
 * (`booked_stays`, `stay_departures`, kept by triggers on stays); `visitor_phase(id, now, days)`
 * is the same function on the same inputs read from `stays`.
 *
 * `Visitor.phase` and the segments' `phases` filter both use `phaseSql` below, so they can never
 * disagree; reading the row's columns costs no subquery per visitor (a segment over a million
 * rows). There is deliberately no TypeScript copy of the rule.
 */
export enum JourneyPhase {
  NONE = 'NONE',
  BEFORE = 'BEFORE',
  DURING = 'DURING',
  AFTER = 'AFTER',
}
registerEnumType(JourneyPhase, { name: 'JourneyPhase' });

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A TypeORM named parameter (`:now`), a positional one (`$2`) or a column (`d.after_stay_days`). */
const PARAMETER = /^(:[A-Za-z_]\w*|\$[1-9]\d*|[A-Za-z_]\w*\.[A-Za-z_]\w*)$/;

function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`phaseSql: ${what} "${value}" is not allowed`);
  return value;
}

/** Default parameter names of `phaseSql`, filled by `phaseParams`. */
export const PHASE_NOW_PARAM = 'phaseNow';
export const PHASE_AFTER_DAYS_PARAM = 'phaseAfterDays';

/**
 * The phase of the visitor row `visitorAlias` (a `visitors` row: it reads the cached stay facts)
 * as a SQL expression (text: 'NONE', 'BEFORE',
 * 'DURING' or 'AFTER'), for query builders: e.g. in segments
 *
 *   qb.andWhere(`${phaseSql('v')} IN (:...phases)`, { ...phaseParams(now, days), phases })
 *
 * `now` and `afterDays` name the parameters (TypeORM `:name` or positional `$n`) or a column
 * (`d.after_stay_days`); pass the default parameters' values with `phaseParams`, or get them from
 * `StaysService.phaseParamsFor(auth)` (now from the injected Clock, days from the destination's
 * `afterStayDays`). Anything else than an alias, a parameter or a column is refused (no SQL in).
 */
export function phaseSql(
  visitorAlias: string,
  now = `:${PHASE_NOW_PARAM}`,
  afterDays = `:${PHASE_AFTER_DAYS_PARAM}`,
): string {
  const alias = checked(visitorAlias, IDENTIFIER, 'alias');
  return `stay_phase(${alias}.booked_stays, ${alias}.stay_departures, ${checked(now, PARAMETER, 'parameter')}::timestamptz, ${checked(afterDays, PARAMETER, 'parameter')}::integer)`;
}

/** The values of `phaseSql`'s default parameters. */
export function phaseParams(
  now: Date,
  afterStayDays: number,
): { [PHASE_NOW_PARAM]: string; [PHASE_AFTER_DAYS_PARAM]: number } {
  return { [PHASE_NOW_PARAM]: now.toISOString(), [PHASE_AFTER_DAYS_PARAM]: afterStayDays };
}

/**
 * The ids of the visitors of a destination with a stay, not cancelled, that overlaps [from, to),
 * as a SELECT, for the segments' `stayOverlaps` filter (`f.visitor_id IN (…)`): stays are
 * half-open intervals [arrivalAt, departureAt), so a stay that ends exactly at `from` does not
 * overlap. A NULL bound is open-ended and has no condition. Uncorrelated, the planner runs it once
 * as a set (a semi-join, or a hashed subplan under OR / NOT), index-only on stays_live_departure.
 */
export function stayOverlapsSql(
  destination: string,
  from: string | null,
  to: string | null,
): string {
  const conditions = [
    `s_ov.destination_id = ${checked(destination, PARAMETER, 'parameter')}::uuid`,
    "s_ov.status <> 'CANCELLED'",
  ];
  if (from !== null) {
    conditions.push(`s_ov.departure_at > ${checked(from, PARAMETER, 'parameter')}::timestamptz`);
  }
  if (to !== null) {
    conditions.push(`s_ov.arrival_at < ${checked(to, PARAMETER, 'parameter')}::timestamptz`);
  }
  return `SELECT s_ov.visitor_id FROM stays s_ov WHERE ${conditions.join(' AND ')}`;
}
