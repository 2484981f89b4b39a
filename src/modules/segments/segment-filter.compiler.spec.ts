import { AppError } from '../../common/errors/app-error.js';
import {
  assertValidFilter,
  checkFilter,
  compileFilter,
  filterKey,
  MAX_FILTER_CONDITIONS,
  MAX_FILTER_DEPTH,
  SqlParams,
  type SegmentFilterLike,
} from './segment-filter.compiler.js';

const IDS = new Map([
  ['gastronomy', '00000000-0000-4000-8000-00000000000a'],
  ['heritage', '00000000-0000-4000-8000-00000000000b'],
  ['nightlife', '00000000-0000-4000-8000-00000000000c'],
]);
const DESTINATION = '00000000-0000-4000-8000-0000000000d0';
// gastronomy has bit 0, heritage bit 63 (the sign bit of a bigint), nightlife none (a 65th).
const INTERESTS = new Map([
  ['gastronomy', { id: IDS.get('gastronomy')!, bit: 0 }],
  ['heritage', { id: IDS.get('heritage')!, bit: 63 }],
  ['nightlife', { id: IDS.get('nightlife')!, bit: null }],
]);
const PHASE = { now: '2026-07-01T12:00:00.000Z', afterDays: 90 };

/** Validates (throwing like the service) and compiles; returns the SQL and its values. */
function compile(filter: SegmentFilterLike | null | undefined) {
  const checked = checkFilter(filter);
  assertValidFilter(
    checked,
    checked.slugs.filter((s) => !IDS.has(s)),
  );
  const params = new SqlParams();
  const sql = compileFilter(
    checked.filter,
    { destinationId: DESTINATION, interests: INTERESTS, phase: PHASE },
    params,
  );
  return { sql, values: params.values, filter: checked.filter };
}

function refusal(filter: unknown): AppError {
  try {
    compile(filter as SegmentFilterLike);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BAD_USER_INPUT');
    return error as AppError;
  }
  throw new Error('the filter was accepted');
}

/** A chain of `not` filters `levels` deep (the top filter is level 1). */
const nested = (levels: number): SegmentFilterLike =>
  levels === 1 ? { countries: ['FR'] } : { not: nested(levels - 1) };

describe('segment filter compiler', () => {
  it('selects everyone with an empty filter, no filter, or only empty lists', () => {
    for (const filter of [
      undefined,
      null,
      {},
      { countries: [], and: [] },
      { minInterestScore: 0.5 },
    ]) {
      expect(compile(filter)).toMatchObject({ sql: 'TRUE', values: [] });
    }
  });

  it('writes one placeholder per value and never a value in the SQL text', () => {
    const evil = "x'); DROP TABLE visitors; --";
    const { sql, values } = compile({
      tagsAny: [evil, 'VIP '],
      countries: ['fr', 'BE', 'FR'],
      locales: ['fr-ca'],
      interestsAny: ['Gastronomy'],
      hasConsent: { channel: 'EMAIL' as never, purpose: 'MARKETING' as never },
      stayOverlaps: { from: new Date('2026-07-01T00:00:00Z'), to: '2026-08-01T00:00:00Z' },
    });
    expect(sql).not.toContain('DROP');
    expect(sql).not.toMatch(/'(FR|BE|vip|fr-CA|EMAIL|MARKETING|2026[^']*)'/);
    expect(values).toEqual(
      expect.arrayContaining([
        [evil.toLowerCase(), 'vip'].sort(),
        ['BE', 'FR'],
        ['fr-CA'],
        ['fr-CA-%'],
        '1', // gastronomy's bit, as a bigint's text
        DESTINATION,
        'EMAIL',
        'MARKETING',
        '2026-07-01T00:00:00.000Z',
        '2026-08-01T00:00:00.000Z',
      ]),
    );
    // The text depends only on the shape (and on which interests have a bit): other values, same
    // SQL.
    const other = compile({
      tagsAny: ['a'],
      countries: ['DE'],
      locales: ['en'],
      interestsAny: ['heritage'],
      hasConsent: { channel: 'TWITTER_DM' as never, purpose: 'PROFILING' as never },
      stayOverlaps: { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' },
    });
    expect(other.sql).toBe(sql);
  });

  it('compiles each criterion over alias f (segment_facts) with the shared SQL definitions', () => {
    // The default threshold tests the bits of the row's strong interests (any: some bit; all:
    // every bit); bit 63 is the sign bit, hence a negative mask.
    expect(compile({ interestsAny: ['gastronomy', 'heritage'] })).toMatchObject({
      sql: 'f.interest_bits & $1::bigint <> 0',
      values: [(-(2n ** 63n) + 1n).toString()],
    });
    expect(compile({ interestsAll: ['gastronomy', 'heritage'] })).toMatchObject({
      sql: 'f.interest_bits & $1::bigint = $1::bigint',
      values: [(-(2n ** 63n) + 1n).toString()],
    });
    expect(compile({ interestsAny: ['gastronomy'], minInterestScore: 0.2 }).sql).toBe(
      'f.interest_bits & $1::bigint <> 0',
    );
    // An interest without a bit (beyond a destination's first 64) reads its scores.
    const scored =
      'f.visitor_id IN (SELECT vi.visitor_id FROM visitor_interests vi WHERE vi.destination_id = $2::uuid' +
      ' AND vi.interest_id = ANY($3::uuid[]) AND vi.score >= $4::float8)';
    expect(compile({ interestsAny: ['gastronomy', 'nightlife'] })).toMatchObject({
      sql: `(f.interest_bits & $1::bigint <> 0 OR ${scored})`,
      values: ['1', DESTINATION, [IDS.get('nightlife')], 0.2],
    });
    expect(compile({ interestsAll: ['gastronomy', 'nightlife'] }).sql).toBe(
      `(f.interest_bits & $1::bigint = $1::bigint AND ${scored})`,
    );
    // Any other threshold reads the materialised scores, as a set.
    expect(compile({ interestsAny: ['gastronomy', 'heritage'], minInterestScore: 0.5 })).toEqual({
      sql: 'f.visitor_id IN (SELECT vi.visitor_id FROM visitor_interests vi WHERE vi.destination_id = $1::uuid AND vi.interest_id = ANY($2::uuid[]) AND vi.score >= $3::float8)',
      values: [DESTINATION, [IDS.get('gastronomy'), IDS.get('heritage')], 0.5],
      filter: { interestsAny: ['gastronomy', 'heritage'], minInterestScore: 0.5 },
    });
    const all = compile({ interestsAll: ['gastronomy', 'heritage'], minInterestScore: 0.5 });
    expect(all.sql.match(/visitor_interests/g)).toHaveLength(2);
    expect(all.sql).not.toContain('interest_bits');
    expect(all.values).toEqual([DESTINATION, [IDS.get('gastronomy')], 0.5, [IDS.get('heritage')]]);
    expect(compile({ interestsAll: ['heritage'], minInterestScore: 0 }).sql).toContain(
      'vi.score >= $3::float8',
    );
    // The phase of the row's stay facts, by the one definition (stay_phase), after a test of the
    // stay ends that the phases imply (none for NONE).
    const phase = 'stay_phase(f.booked_stays, f.stay_departures, $1::timestamptz, $2::integer)';
    expect(compile({ phases: ['DURING' as never, 'BEFORE' as never] })).toEqual({
      sql: `(f.booked_until > $1::timestamptz AND ${phase} = ANY($3::text[]))`,
      values: [PHASE.now, 90, ['BEFORE', 'DURING']],
      filter: { phases: ['BEFORE', 'DURING'] },
    });
    expect(compile({ phases: ['AFTER' as never, 'BEFORE' as never] }).sql).toBe(
      '((f.booked_until > $1::timestamptz' +
        ' OR f.departed_until > $1::timestamptz - make_interval(days => $2::integer))' +
        ` AND ${phase} = ANY($3::text[]))`,
    );
    expect(compile({ phases: ['AFTER' as never, 'NONE' as never] }).sql).toBe(
      `${phase} = ANY($3::text[])`,
    );
    expect(compile({ stayOverlaps: {} }).sql).toBe(
      "f.visitor_id IN (SELECT s_ov.visitor_id FROM stays s_ov WHERE s_ov.destination_id = $1::uuid AND s_ov.status <> 'CANCELLED')",
    );
    expect(compile({ stayOverlaps: { to: '2026-08-01T00:00:00Z' } }).sql).toContain(
      's_ov.arrival_at < $2::timestamptz)',
    );
    expect(compile({ countries: ['FR'] }).sql).toBe('f.country_code = ANY($1::text[])');
    expect(compile({ tagsAny: ['vip'] }).sql).toBe('f.tags && $1::text[]');
    expect(compile({ locales: ['fr'] })).toMatchObject({
      sql: '(f.locale = ANY($1::text[]) OR f.locale LIKE ANY($2::text[]))',
      values: [['fr'], ['fr-%']],
    });
    // Consents: the granted pairs cached on the row, as consent_key() writes them.
    expect(compile({ hasConsent: { purpose: 'PROFILING' as never } })).toMatchObject({
      sql: 'f.granted_consents @> ARRAY[consent_key($1::text, $2::text)]',
      values: [null, 'PROFILING'],
    });
    expect(
      compile({ hasConsent: { channel: 'EMAIL' as never, purpose: 'MARKETING' as never } }),
    ).toMatchObject({
      sql: 'f.granted_consents @> ARRAY[consent_key($1::text, $2::text)]',
      values: ['EMAIL', 'MARKETING'],
    });
  });

  it('reads the ambassador tier and score copied on the row (NONE / 0 without a score)', () => {
    expect(compile({ ambassadorTiers: ['NONE' as never] }).sql).toBe(
      'f.ambassador_tier::text = ANY($1::text[])',
    );
    expect(compile({ minAmbassadorScore: 10 }).sql).toBe('f.ambassador_score >= $1::float8');
  });

  it('combines with and / or / not; a not never lets a NULL through', () => {
    const { sql } = compile({
      countries: ['FR'],
      and: [{ tagsAny: ['a'] }, { tagsAny: ['b'] }],
      or: [{ locales: ['fr'] }, { interestsAny: ['heritage'] }],
      not: { countries: ['DE'] },
    });
    expect(sql).toBe(
      '(f.country_code = ANY($1::text[]) AND f.tags && $2::text[] AND f.tags && $3::text[]' +
        ' AND ((f.locale = ANY($4::text[]) OR f.locale LIKE ANY($5::text[])) OR f.interest_bits & $6::bigint <> 0)' +
        ' AND ((f.country_code = ANY($7::text[])) IS NOT TRUE))',
    );
    // A condition that is never NULL is negated plainly (an anti-join for the planner).
    expect(compile({ not: { tagsAny: ['a'] } }).sql).toBe('NOT (f.tags && $1::text[])');
    expect(compile({ not: {} }).sql).toBe('NOT (TRUE)');
    expect(compile({ or: [{}, { tagsAny: ['a'] }] }).sql).toBe('(TRUE OR f.tags && $1::text[])');
  });

  it('inherits minInterestScore into nested filters that do not set their own', () => {
    const { sql, values } = compile({
      minInterestScore: 0.1,
      or: [
        { interestsAny: ['gastronomy'] },
        { interestsAny: ['heritage'], minInterestScore: 0.5 },
        { not: { interestsAny: ['heritage'] } },
        { interestsAll: ['heritage'], minInterestScore: 0.2 },
      ],
    });
    expect(values).toEqual([
      DESTINATION,
      [IDS.get('gastronomy')],
      0.1,
      [IDS.get('heritage')],
      0.5,
      [IDS.get('heritage')],
      (-(2n ** 63n)).toString(),
    ]);
    // Only the branch back at the default threshold reads the cached interest bits.
    expect(sql.match(/visitor_interests/g)).toHaveLength(3);
    expect(sql.match(/interest_bits/g)).toHaveLength(1);
    // And a default inherited from the top holds inside a non-default branch's siblings.
    const inherited = compile({
      and: [
        { interestsAny: ['heritage'] },
        { minInterestScore: 0.7, or: [{ interestsAny: ['gastronomy'] }] },
      ],
    });
    expect(inherited.sql).toBe(
      '(f.interest_bits & $1::bigint <> 0 AND (f.visitor_id IN (SELECT vi.visitor_id FROM visitor_interests vi WHERE vi.destination_id = $2::uuid AND vi.interest_id = ANY($3::uuid[]) AND vi.score >= $4::float8)))',
    );
  });

  it(`accepts ${MAX_FILTER_DEPTH} levels and refuses more`, () => {
    expect(compile(nested(MAX_FILTER_DEPTH)).sql).toContain('NOT (');
    expect(refusal(nested(MAX_FILTER_DEPTH + 1)).message).toMatch(/more than 8 levels/);
    expect(refusal(nested(5000)).message).toMatch(/more than 8 levels/);
    expect(refusal({ and: [{}, { or: [{}, nested(7)] }] }).message).toMatch(/levels/);
  });

  it(`accepts ${MAX_FILTER_CONDITIONS} conditions and refuses more`, () => {
    // 100 nested filters with one criterion each: 200 conditions.
    const ok = { or: Array.from({ length: 100 }, () => ({ tagsAny: ['a'] })) };
    expect(compile(ok).sql.match(/&&/g)).toHaveLength(100);
    const tooMany = { ...ok, countries: ['FR'] };
    expect(refusal(tooMany).message).toMatch(/more than 200 conditions/);
    // Counting stops at the excess: a huge input is refused without walking all of it.
    const huge = { and: Array.from({ length: 100_000 }, () => ({})) };
    expect(refusal(huge).message).toMatch(/200 conditions/);
  });

  it('names every unknown interest, country and locale, and every bad value, at once', () => {
    const error = refusal({
      interestsAny: ['knitting', 'gastronomy'],
      countries: ['FR', 'XX', 'eu'],
      and: [{ locales: ['not a locale', 'fr'], interestsAll: ['Cooking'] }],
    });
    expect(error.message).toContain('unknown interests: cooking, knitting');
    expect(error.message).toContain('filter.countries: unknown country codes: XX, EU');
    expect(error.message).toContain('filter.and[0].locales: unknown locales');
    expect(error.message).toContain('not a locale');
    expect(error.details).toMatchObject({
      argument: 'filter',
      unknown: {
        interests: ['cooking', 'knitting'],
        countries: ['EU', 'XX'],
        locales: ['not a locale'],
      },
    });
  });

  it.each([
    [{ minInterestScore: 1.5 }, /minInterestScore: must be a number from 0 to 1/],
    [{ minInterestScore: -0.1 }, /minInterestScore/],
    [{ minInterestScore: Number.NaN }, /minInterestScore/],
    [{ minAmbassadorScore: 101 }, /minAmbassadorScore: must be a number from 0 to 100/],
    [{ interactedSince: 'last week' }, /interactedSince: must be an ISO-8601 instant/],
    [
      { stayOverlaps: { from: '2026-08-01T00:00:00Z', to: '2026-07-01T00:00:00Z' } },
      /`from` must be before `to`/,
    ],
    [{ stayOverlaps: { from: 'tomorrow' } }, /stayOverlaps.from: must be an ISO-8601 instant/],
    [{ phases: ['LATER'] }, /phases: unknown values: LATER/],
    [{ ambassadorTiers: ['LEGEND'] }, /ambassadorTiers: unknown values: LEGEND/],
    [{ hasConsent: { purpose: 'SPAM' } }, /hasConsent.purpose: unknown purpose: SPAM/],
    [{ hasConsent: { channel: 'FAX', purpose: 'MARKETING' } }, /unknown channel: FAX/],
    [{ countries: 'FR' }, /countries: must be a list of strings/],
    [{ segment: 'x' }, /filter.segment: unknown field/],
    [{ or: [null] }, /filter.or\[0\]: a filter must be an object/],
  ])('refuses %j', (filter, message) => {
    expect(refusal(filter).message).toMatch(message);
  });

  it('interactedSince: an interaction of the visitor at or after the instant', () => {
    const { sql, values, filter } = compile({ interactedSince: new Date('2026-07-01T00:00:00Z') });
    expect(filter).toEqual({ interactedSince: '2026-07-01T00:00:00.000Z' });
    expect(sql).toBe(
      'f.visitor_id IN (SELECT i.visitor_id FROM interactions i WHERE i.destination_id = $1::uuid' +
        ' AND i.visitor_id IS NOT NULL AND i.occurred_at >= $2::timestamptz)',
    );
    expect(values).toEqual([DESTINATION, '2026-07-01T00:00:00.000Z']);
  });

  it('normalises values: what a saved segment stores, valid again as it is', () => {
    const { filter } = compile({
      countries: ['be', ' FR', 'fr'],
      locales: ['FR-ca'],
      tagsAny: [' VIP', ' '],
      interestsAll: ['Heritage', 'gastronomy'],
      stayOverlaps: { from: new Date('2026-07-01T00:00:00Z'), to: null },
      hasConsent: { purpose: 'PROFILING' as never },
      or: [{ countries: [] }],
    });
    expect(filter).toEqual({
      countries: ['BE', 'FR'],
      locales: ['fr-CA'],
      tagsAny: ['vip'],
      interestsAll: ['gastronomy', 'heritage'],
      stayOverlaps: { from: '2026-07-01T00:00:00.000Z', to: null },
      hasConsent: { channel: null, purpose: 'PROFILING' },
      or: [{}],
    });
    expect(compile(JSON.parse(JSON.stringify(filter))).filter).toEqual(filter);
  });

  it('gives reordered equivalents the same key, and different filters different keys', () => {
    const a = checkFilter({
      or: [{ countries: ['FR', 'DE'] }, { tagsAny: ['vip'] }],
      locales: ['fr'],
    });
    const b = checkFilter({
      locales: ['fr'],
      or: [{ tagsAny: ['vip'] }, { countries: ['de', 'FR'] }],
    });
    expect(filterKey(a.filter)).toBe(filterKey(b.filter));
    expect(filterKey(checkFilter({ countries: ['FR'] }).filter)).not.toBe(
      filterKey(checkFilter({ not: { countries: ['FR'] } }).filter),
    );
  });

  it('reuses the placeholder of a scalar given twice, never of a list', () => {
    const p = new SqlParams(['d']);
    expect([p.add(0.2), p.add(0.2), p.add('d'), p.add(['a']), p.add(['a']), p.add(null)]).toEqual([
      '$2',
      '$2',
      '$1',
      '$3',
      '$4',
      '$5',
    ]);
    expect(new SqlParams(p.values).add(0.2)).toBe('$2');
  });
});
