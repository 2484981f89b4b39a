import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { Duration } from 'luxon';

/**
 * Signed ISO 8601 duration: an optional leading sign, then P[nY][nM][nW][nD][T[nH][nM][n[.fff]S]].
 * Stricter than Luxon's parser on purpose: Luxon accepts "P" (nothing), per-unit signs such as
 * "P1DT-2H" (ambiguous: is that 22 hours?) and fractional days, which make calendar arithmetic
 * across DST changes ill-defined. Only seconds may carry a fraction (milliseconds).
 */
const PATTERN =
  /^([+-])?P(?:(\d{1,6})Y)?(?:(\d{1,6})M)?(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,9})M)?(?:(\d{1,9})(?:[.,](\d{1,3}))?S)?)?$/;

/** Beyond this a campaign offset is certainly a typo; it also keeps every sum far from overflow. */
const MAX_MS = 10 * 366 * 24 * 3600 * 1000;

export class InvalidDurationError extends Error {
  constructor(readonly value: unknown) {
    super(
      `${JSON.stringify(value)} is not a signed ISO 8601 duration such as "P7D", "-P7D", "PT2H30M"`,
    );
    this.name = 'InvalidDurationError';
  }
}

/** Parses a signed ISO 8601 duration; every unit carries the sign. Throws InvalidDurationError. */
export function parseIsoDuration(text: unknown): Duration {
  if (typeof text !== 'string') throw new InvalidDurationError(text);
  const m = PATTERN.exec(text);
  // "P" alone, or a "T" with nothing after it, names no unit.
  if (!m || text.endsWith('P') || text.endsWith('T')) throw new InvalidDurationError(text);
  const sign = m[1] === '-' ? -1 : 1;
  const n = (s: string | undefined) => (s === undefined ? 0 : sign * Number(s));
  const duration = Duration.fromObject({
    years: n(m[2]),
    months: n(m[3]),
    weeks: n(m[4]),
    days: n(m[5]),
    hours: n(m[6]),
    minutes: n(m[7]),
    seconds: n(m[8]),
    milliseconds: m[9] === undefined ? 0 : sign * Number(m[9].padEnd(3, '0')),
  });
  if (!duration.isValid || Math.abs(duration.as('milliseconds')) > MAX_MS) {
    throw new InvalidDurationError(text);
  }
  return duration;
}

/** The canonical text of a duration: leading sign, zero units left out, "PT0S" for nothing. */
export function formatIsoDuration(duration: Duration): string {
  const o = duration.toObject();
  const values = [
    o.years,
    o.months,
    o.weeks,
    o.days,
    o.hours,
    o.minutes,
    o.seconds,
    o.milliseconds,
  ].map((v) => v ?? 0);
  const negative = values.some((v) => v < 0);
  const [y, mo, w, d, h, mi, s, ms] = values.map(Math.abs);
  let date = '';
  if (y) date += `${y}Y`;
  if (mo) date += `${mo}M`;
  if (w) date += `${w}W`;
  if (d) date += `${d}D`;
  let time = '';
  if (h) time += `${h}H`;
  if (mi) time += `${mi}M`;
  if (s || ms) {
    time += ms ? `${s}.${String(ms).padStart(3, '0').replace(/0+$/, '')}S` : `${s}S`;
  }
  if (!date && !time) return 'PT0S';
  return `${negative ? '-' : ''}P${date}${time ? `T${time}` : ''}`;
}

const badInput = (value: unknown) =>
  new GraphQLError(new InvalidDurationError(value).message, {
    extensions: { code: 'BAD_USER_INPUT' },
  });

const canonical = (value: unknown) => {
  try {
    return formatIsoDuration(parseIsoDuration(value));
  } catch {
    throw badInput(value);
  }
};

/**
 * The contract's `Duration`: signed ISO 8601 ("P7D", "-P7D", "PT2H30M", "PT30S"). Values reach
 * resolvers as canonical strings ("+P7D" becomes "P7D", "PT0M" becomes "PT0S") and are returned the
 * same way, so what is stored compares equal to what was sent.
 */
export const GraphQLSignedDuration = new GraphQLScalarType<string, string>({
  name: 'Duration',
  description: 'ISO 8601 duration, signed: "P7D", "-P7D", "PT2H30M", "PT30S"',
  serialize: (value) => {
    if (Duration.isDuration(value)) return formatIsoDuration(value);
    return canonical(value);
  },
  parseValue: canonical,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput(ast.kind === Kind.NULL ? null : 'non-string');
    return canonical(ast.value);
  },
});
