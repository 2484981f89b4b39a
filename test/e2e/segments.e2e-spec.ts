import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { Clock } from '../../src/common/clock/clock.js';
import { ApiScope } from '../../src/modules/access/api-key.entity.js';
import type { AuthContext } from '../../src/modules/access/auth-context.js';
import { Role } from '../../src/modules/access/user.entity.js';
import type { SegmentFilterLike } from '../../src/modules/segments/segment-filter.compiler.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Headers = Record<string, string>;
type Filter = Record<string, unknown>;
type Counts = { key: string; count: number }[];

const DAY = 86_400_000;
/** The app's Clock is stopped here for the whole file: phases and stays are relative to it. */
const NOW = Date.parse('2026-07-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const VISITORS = `query($filter: SegmentFilterInput, $first: Int, $after: String) {
  visitors(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } }
  }
}`;
const PREVIEW = `query($filter: SegmentFilterInput!) {
  previewSegment(filter: $filter) {
    count sample { id countryCode locale tags createdAt } byInterest { key count } byCountry { key count } byPhase { key count }
  }
}`;
const INSIGHTS = `query($filter: SegmentFilterInput) {
  audienceInsights(filter: $filter) {
    visitorCount byInterest { key count } byCountry { key count } byPhase { key count } byTier { key count }
  }
}`;
const SEGMENT_FIELDS = 'id name description filter size createdAt';
const CREATE_SEGMENT = `mutation($name: String!, $description: String, $filter: SegmentFilterInput!) {
  createSegment(name: $name, description: $description, filter: $filter) { ${SEGMENT_FIELDS} }
}`;
const SEGMENT = `query($id: ID!, $first: Int, $after: String) {
  segment(id: $id) {
    ${SEGMENT_FIELDS}
    visitors(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } }
  }
}`;
const SEGMENTS = `{ segments { ${SEGMENT_FIELDS} } }`;
const DELETE_SEGMENT = 'mutation($id: ID!) { deleteSegment(id: $id) }';
const CREATE_VISITOR =
  'mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { id } }';
const UPDATE_VISITOR =
  'mutation($id: ID!, $input: UpdateVisitorInput!) { updateVisitor(id: $id, input: $input) { id } }';

/** `levels` filters nested in each other through `not` (the top filter is level 1). */
const nested = (levels: number): Filter =>
  levels === 1 ? { countries: ['FR'] } : { not: nested(levels - 1) };

describe('segments (e2e)', () => {
  let app: TestApp;
  let db: DataSource;
  let segments: SegmentsService;
  let a: Seeded;
  let b: Seeded;
  let now = NOW;
  /** name → visitor id, and back, in destination A. */
  const ids = new Map<string, string>();
  const names = new Map<string, string>();

  const ok = <T = Record<string, any>>(q: string, v: Record<string, unknown>, h: Headers) =>
    app.ok<T>(q, v, h);
  const fails = (q: string, v: Record<string, unknown>, h: Headers) => app.fails(q, v, h);
  const userAuth = (destinationId: string, role = Role.ADMIN): AuthContext => ({
    destinationId,
    principal: { kind: 'user', userId: '00000000-0000-4000-8000-000000000000', role },
  });
  const keyAuth = (destinationId: string, scopes: ApiScope[]): AuthContext => ({
    destinationId,
    principal: { kind: 'apiKey', apiKeyId: '00000000-0000-4000-8000-000000000000', scopes },
  });
  const apiKey = async (seeded: Seeded, scopes: string[]) => {
    const data = await ok(
      'mutation($s: [ApiScope!]!) { createApiKey(name: "partner", scopes: $s) { secret } }',
      { s: scopes },
      seeded.admin,
    );
    return { 'x-api-key': data.createApiKey.secret as string };
  };
  const createVisitor = async (input: Filter, headers: Headers) =>
    (await ok(CREATE_VISITOR, { input }, headers)).createVisitor.id as string;
  const stay = (visitorId: string, from: number, days: number, headers: Headers) =>
    ok(
      `mutation($input: StayInput!) { upsertStay(input: $input) { id } }`,
      {
        input: {
          visitorId,
          arrivalAt: iso(from),
          departureAt: iso(from + days * DAY),
          source: 'office',
        },
      },
      headers,
    ).then((d) => d.upsertStay.id as string);
  /** Materialised interest scores, written directly: exact values for the thresholds. */
  async function setScores(
    destinationId: string,
    visitorId: string,
    scores: Record<string, number>,
  ) {
    for (const [slug, score] of Object.entries(scores)) {
      await db.query(
        `INSERT INTO visitor_interests
                (destination_id, visitor_id, interest_id, score, evidence_count, last_evidence_at, sources, computed_at)
         SELECT $1, $2, i.id, $4, 1, $5, '{DECLARED}', $5 FROM interests i
          WHERE i.destination_id = $1 AND i.slug = $3
         ON CONFLICT (visitor_id, interest_id) DO UPDATE SET score = EXCLUDED.score`,
        [destinationId, visitorId, slug, score, iso(NOW)],
      );
    }
  }
  /** Every visitor a filter selects, through all its pages (3 at a time), by name. */
  async function members(filter: Filter, headers: Headers = a.admin): Promise<string[]> {
    const found: string[] = [];
    const totals = new Set<number>();
    for (let after: string | null = null; ;) {
      const page: any = (await ok(VISITORS, { filter, first: 3, after }, headers)).visitors;
      totals.add(page.totalCount);
      found.push(...page.edges.map((e: any) => names.get(e.node.id) ?? e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    // The total is exact, the same on every page.
    expect([...totals]).toEqual([found.length]);
    return found.sort();
  }
  const badInput = async (query: string, variables: Record<string, unknown>, headers = a.admin) => {
    const error = await fails(query, variables, headers);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    return error.message;
  };

  beforeAll(async () => {
    app = await startTestApp();
    db = app.runtime.app.get(DataSource);
    segments = app.runtime.app.get(SegmentsService);
    jest.spyOn(app.runtime.app.get(Clock), 'now').mockImplementation(() => new Date(now));
    a = await seedDestination(app, 'Quimper');
    b = await seedDestination(app, 'Saint-Malo');
    // Destinations start with the seeded taxonomy; A adds one of its own, B another.
    for (const slug of ['gastronomy', 'heritage', 'nightlife', 'surf', 'kouign-amann']) {
      await ok('mutation($s: String!) { upsertInterest(slug: $s) { id } }', { s: slug }, a.admin);
    }
    await ok('mutation { upsertInterest(slug: "oysters") { id } }', {}, b.admin);

    // The population of destination A, by hand. Every expectation below is written from this.
    //          country locale  tags                 interests (score)                 stay           consents
    // anne     FR      fr-FR   vip                  gastronomy .9, heritage .3        DURING         EMAIL/MARKETING yes, PROFILING yes
    // bruno    FR      fr      newsletter           gastronomy .15, nightlife .5      BEFORE (+10d)  EMAIL/MARKETING yes, then no
    // chloe    DE      de-DE   vip, newsletter      heritage .8                       AFTER (-10d)   PROFILING yes
    // david    GB      en-GB   -                    surf .25                          200 days ago   EMAIL/MARKETING yes
    // emma     -       -       newsletter           -                                 cancelled      -
    // felix    BE      fr-BE   surf                 gastronomy .2, surf .7            BEFORE (+30d)  MARKETING (no channel) yes
    // gina     CA      fr-CA   -                    nightlife .95, heritage .1        -              PROFILING no
    // hugo     FR      fr-FR   vip                  gastronomy .9                     -              PROFILING yes; then ERASED
    const consent = (channel: string | null, purpose: string, granted = true) => ({
      channel,
      purpose,
      granted,
      source: 'form',
    });
    const people: [string, Filter][] = [
      [
        'anne',
        {
          countryCode: 'FR',
          locale: 'fr-FR',
          tags: ['vip'],
          consents: [consent('EMAIL', 'MARKETING'), consent(null, 'PROFILING')],
        },
      ],
      [
        'bruno',
        {
          countryCode: 'FR',
          locale: 'fr',
          tags: ['newsletter'],
          consents: [consent('EMAIL', 'MARKETING')],
        },
      ],
      [
        'chloe',
        {
          countryCode: 'DE',
          locale: 'de-DE',
          tags: ['vip', 'newsletter'],
          consents: [consent(null, 'PROFILING')],
        },
      ],
      ['david', { countryCode: 'GB', locale: 'en-GB', consents: [consent('EMAIL', 'MARKETING')] }],
      ['emma', { tags: ['newsletter'] }],
      [
        'felix',
        {
          countryCode: 'BE',
          locale: 'fr-BE',
          tags: ['surf'],
          consents: [consent(null, 'MARKETING')],
        },
      ],
      [
        'gina',
        { countryCode: 'CA', locale: 'fr-CA', consents: [consent(null, 'PROFILING', false)] },
      ],
      [
        'hugo',
        {
          countryCode: 'FR',
          locale: 'fr-FR',
          tags: ['vip'],
          consents: [consent(null, 'PROFILING')],
        },
      ],
    ];
    for (const [name, input] of people) {
      const id = await createVisitor({ firstName: name, ...input }, a.admin);
      ids.set(name, id);
      names.set(id, name);
    }
    const id = (name: string) => ids.get(name)!;
    now = NOW + 1000; // a newer record: bruno withdraws his e-mail marketing consent
    await ok(
      'mutation($id: ID!, $c: ConsentInput!) { recordConsent(visitorId: $id, consent: $c) { id } }',
      { id: id('bruno'), c: consent('EMAIL', 'MARKETING', false) },
      a.admin,
    );
    now = NOW;
    await stay(id('anne'), NOW - DAY, 3, a.admin);
    await stay(id('bruno'), NOW + 10 * DAY, 3, a.admin);
    await stay(id('chloe'), NOW - 14 * DAY, 4, a.admin);
    await stay(id('david'), NOW - 205 * DAY, 5, a.admin);
    const cancelled = await stay(id('emma'), NOW + 20 * DAY, 2, a.admin);
    await ok('mutation($id: ID!) { cancelStay(id: $id) { id } }', { id: cancelled }, a.admin);
    await stay(id('felix'), NOW + 30 * DAY, 3, a.admin);
    const d = a.destination.id;
    await setScores(d, id('anne'), { gastronomy: 0.9, heritage: 0.3 });
    await setScores(d, id('bruno'), { gastronomy: 0.15, nightlife: 0.5 });
    await setScores(d, id('chloe'), { heritage: 0.8 });
    await setScores(d, id('david'), { surf: 0.25 });
    await setScores(d, id('felix'), { gastronomy: 0.2, surf: 0.7 });
    await setScores(d, id('gina'), { nightlife: 0.95, heritage: 0.1 });
    await setScores(d, id('hugo'), { gastronomy: 0.9 });
    await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: id('hugo') }, a.admin);

    // Destination B: one French visitor who likes oysters.
    const bVisitor = await createVisitor(
      { firstName: 'yann', countryCode: 'FR', locale: 'fr-FR', tags: ['vip'] },
      b.admin,
    );
    names.set(bVisitor, 'yann');
    await setScores(b.destination.id, bVisitor, { oysters: 0.9 });
  });
  afterAll(() => app?.stop());

  const EVERYONE = ['anne', 'bruno', 'chloe', 'david', 'emma', 'felix', 'gina'];
  const NOT_FR = ['chloe', 'david', 'emma', 'felix', 'gina'];

  // [what, filter, the visitors it selects]
  const CASES: [string, Filter, string[]][] = [
    ['an empty filter: everyone (not the erased)', {}, EVERYONE],
    ['empty lists are absent fields', { countries: [], tagsAny: [], and: [] }, EVERYONE],
    [
      'interestsAny, default threshold 0.2 (0.2 included)',
      { interestsAny: ['gastronomy'] },
      ['anne', 'felix'],
    ],
    ['interestsAny, slugs in any case', { interestsAny: ['Gastronomy'] }, ['anne', 'felix']],
    [
      'interestsAny with minInterestScore',
      { interestsAny: ['gastronomy'], minInterestScore: 0.1 },
      ['anne', 'bruno', 'felix'],
    ],
    [
      'interestsAny of two',
      { interestsAny: ['gastronomy', 'nightlife'] },
      ['anne', 'bruno', 'felix', 'gina'],
    ],
    [
      'interestsAny with threshold 0: any score',
      { interestsAny: ['heritage'], minInterestScore: 0 },
      ['anne', 'chloe', 'gina'],
    ],
    ['interestsAll', { interestsAll: ['gastronomy', 'heritage'] }, ['anne']],
    [
      'interestsAll above the scores',
      { interestsAll: ['gastronomy', 'heritage'], minInterestScore: 0.5 },
      [],
    ],
    ['phase DURING', { phases: ['DURING'] }, ['anne']],
    ['phase BEFORE', { phases: ['BEFORE'] }, ['bruno', 'felix']],
    ['phase AFTER', { phases: ['AFTER'] }, ['chloe']],
    [
      'phase NONE (old stay, cancelled stay, no stay)',
      { phases: ['NONE'] },
      ['david', 'emma', 'gina'],
    ],
    ['phases BEFORE or AFTER', { phases: ['BEFORE', 'AFTER'] }, ['bruno', 'chloe', 'felix']],
    [
      'stayOverlaps: any stay not cancelled',
      { stayOverlaps: {} },
      ['anne', 'bruno', 'chloe', 'david', 'felix'],
    ],
    [
      'stayOverlaps a past range',
      { stayOverlaps: { from: iso(NOW - 11 * DAY), to: iso(NOW - 10 * DAY) } },
      ['chloe'],
    ],
    [
      'stayOverlaps: a stay ending at `from` does not overlap',
      { stayOverlaps: { from: iso(NOW - 10 * DAY), to: iso(NOW - 9 * DAY) } },
      [],
    ],
    [
      'stayOverlaps: a stay starting at `to` does not overlap',
      { stayOverlaps: { to: iso(NOW - DAY) } },
      ['chloe', 'david'],
    ],
    [
      'stayOverlaps open-ended, the cancelled stay ignored',
      { stayOverlaps: { from: iso(NOW + 5 * DAY) } },
      ['bruno', 'felix'],
    ],
    [
      'stayOverlaps long ago',
      { stayOverlaps: { from: iso(NOW - 210 * DAY), to: iso(NOW - 195 * DAY) } },
      ['david'],
    ],
    ['countries', { countries: ['FR'] }, ['anne', 'bruno']],
    ['countries in any case', { countries: ['fr', 'be'] }, ['anne', 'bruno', 'felix']],
    [
      'locales: a language matches its regions',
      { locales: ['fr'] },
      ['anne', 'bruno', 'felix', 'gina'],
    ],
    ['locales: a region matches only itself', { locales: ['fr-FR'] }, ['anne']],
    ['locales, canonicalised', { locales: ['FR-ca', 'en'] }, ['david', 'gina']],
    ['tagsAny', { tagsAny: ['vip'] }, ['anne', 'chloe']],
    ['tagsAny, normalised', { tagsAny: [' VIP', 'Surf'] }, ['anne', 'chloe', 'felix']],
    ['ambassadorTiers NONE: everyone has no score yet', { ambassadorTiers: ['NONE'] }, EVERYONE],
    [
      'ambassadorTiers above NONE: nobody yet',
      { ambassadorTiers: ['FAN', 'ADVOCATE', 'AMBASSADOR'] },
      [],
    ],
    ['minAmbassadorScore 0: everyone (score 0)', { minAmbassadorScore: 0 }, EVERYONE],
    ['minAmbassadorScore above 0: nobody yet', { minAmbassadorScore: 0.5 }, []],
    [
      'hasConsent with a channel: the newest record decides',
      { hasConsent: { channel: 'EMAIL', purpose: 'MARKETING' } },
      ['anne', 'david'],
    ],
    [
      'hasConsent without a channel: the channel-less record',
      { hasConsent: { purpose: 'MARKETING' } },
      ['felix'],
    ],
    [
      'hasConsent PROFILING (a refusal is not a consent)',
      { hasConsent: { purpose: 'PROFILING' } },
      ['anne', 'chloe'],
    ],
    ['and', { and: [{ countries: ['FR'] }, { interestsAny: ['nightlife'] }] }, ['bruno']],
    ['or', { or: [{ countries: ['DE'] }, { tagsAny: ['surf'] }] }, ['chloe', 'felix']],
    ['not: visitors without a country are "not FR"', { not: { countries: ['FR'] } }, NOT_FR],
    [
      'not: visitors without a locale are "not fr"',
      { not: { locales: ['fr'] } },
      ['chloe', 'david', 'emma'],
    ],
    [
      'not of an interest',
      { not: { interestsAny: ['gastronomy'] } },
      ['bruno', 'chloe', 'david', 'emma', 'gina'],
    ],
    [
      'criteria and not together',
      { countries: ['FR', 'BE'], not: { phases: ['BEFORE'] } },
      ['anne'],
    ],
    [
      'nested or / and / not',
      {
        or: [
          { and: [{ countries: ['FR'] }, { tagsAny: ['vip'] }] },
          { not: { or: [{ phases: ['NONE'] }, { locales: ['fr'] }] } },
        ],
      },
      ['anne', 'chloe'],
    ],
    [
      'minInterestScore inherited by nested filters, unless they set their own',
      {
        minInterestScore: 0.1,
        or: [
          { interestsAny: ['gastronomy'] },
          { interestsAny: ['heritage'], minInterestScore: 0.5 },
        ],
      },
      ['anne', 'bruno', 'chloe', 'felix'],
    ],
    ['not not', { not: { not: { countries: ['FR'] } } }, ['anne', 'bruno']],
    ['8 levels deep (seven nots)', nested(8), NOT_FR],
    ['or of an empty filter: everyone', { or: [{}] }, EVERYONE],
    ['not of an empty filter: nobody', { not: {} }, []],
    [
      'consent and not a tag',
      { hasConsent: { channel: 'EMAIL', purpose: 'MARKETING' }, not: { tagsAny: ['vip'] } },
      ['david'],
    ],
    [
      'stays and phases',
      { stayOverlaps: {}, not: { phases: ['BEFORE', 'DURING'] } },
      ['chloe', 'david'],
    ],
    [
      'every field at once',
      {
        interestsAny: ['gastronomy', 'heritage'],
        interestsAll: ['gastronomy'],
        minInterestScore: 0.2,
        phases: ['DURING', 'BEFORE'],
        stayOverlaps: { from: iso(NOW - 2 * DAY), to: iso(NOW + 60 * DAY) },
        countries: ['FR', 'BE'],
        locales: ['fr'],
        tagsAny: ['vip', 'surf'],
        ambassadorTiers: ['NONE'],
        minAmbassadorScore: 0,
        hasConsent: { channel: 'EMAIL', purpose: 'MARKETING' },
      },
      ['anne'],
    ],
  ];

  describe('filters (every field, and combinations)', () => {
    it.each(CASES)('%s', async (_what, filter, expected) => {
      expect(await members(filter)).toEqual([...expected].sort());
      // The same filter answers the same through every operation.
      const preview = (await ok(PREVIEW, { filter }, a.admin)).previewSegment;
      expect(preview.count).toBe(expected.length);
      expect(await segments.count(userAuth(a.destination.id), filter as SegmentFilterLike)).toBe(
        expected.length,
      );
    });

    it('previews the exact count, the 10 newest, and exact counts by interest, country, phase', async () => {
      const all = (await ok(VISITORS, { first: 50 }, a.admin)).visitors.edges.map(
        (e: any) => e.node.id,
      );
      const preview = (await ok(PREVIEW, { filter: {} }, a.admin)).previewSegment;
      expect(preview.count).toBe(7);
      expect(preview.sample.map((v: any) => v.id)).toEqual([...all].reverse());
      expect(preview.byCountry).toEqual([
        { key: 'FR', count: 2 },
        { key: 'BE', count: 1 },
        { key: 'CA', count: 1 },
        { key: 'DE', count: 1 },
        { key: 'GB', count: 1 },
        { key: 'unknown', count: 1 },
      ]);
      expect(preview.byInterest).toEqual([
        { key: 'gastronomy', count: 2 },
        { key: 'heritage', count: 2 },
        { key: 'nightlife', count: 2 },
        { key: 'surf', count: 2 },
      ]);
      expect(preview.byPhase).toEqual([
        { key: 'NONE', count: 3 },
        { key: 'BEFORE', count: 2 },
        { key: 'AFTER', count: 1 },
        { key: 'DURING', count: 1 },
      ]);

      const some = (
        await ok(PREVIEW, { filter: { interestsAny: ['gastronomy', 'nightlife'] } }, a.admin)
      ).previewSegment;
      expect(some).toMatchObject({
        count: 4,
        byInterest: [
          { key: 'gastronomy', count: 2 },
          { key: 'nightlife', count: 2 },
          { key: 'heritage', count: 1 },
          { key: 'surf', count: 1 },
        ],
        byCountry: [
          { key: 'FR', count: 2 },
          { key: 'BE', count: 1 },
          { key: 'CA', count: 1 },
        ],
        byPhase: [
          { key: 'BEFORE', count: 2 },
          { key: 'DURING', count: 1 },
          { key: 'NONE', count: 1 },
        ],
      });
      // The sample is made of real visitors, every field there.
      expect(some.sample.find((v: any) => v.id === ids.get('anne'))).toMatchObject({
        countryCode: 'FR',
        locale: 'fr-FR',
        tags: ['vip'],
        createdAt: expect.stringMatching(/^\d{4}-/),
      });
      expect(some.sample.map((v: any) => names.get(v.id)).sort()).toEqual([
        'anne',
        'bruno',
        'felix',
        'gina',
      ]);
      // byInterest counts with the filter's threshold.
      const low = (
        await ok(
          PREVIEW,
          { filter: { interestsAny: ['gastronomy'], minInterestScore: 0.1 } },
          a.admin,
        )
      ).previewSegment;
      expect(low.byInterest).toEqual([
        { key: 'gastronomy', count: 3 },
        { key: 'heritage', count: 1 },
        { key: 'nightlife', count: 1 },
        { key: 'surf', count: 1 },
      ]);
      expect((await ok(PREVIEW, { filter: { not: {} } }, a.admin)).previewSegment).toEqual({
        count: 0,
        sample: [],
        byInterest: [],
        byCountry: [],
        byPhase: [],
      });
    });

    it('pages with opaque cursors in a stable order, the total exact on every page', async () => {
      const filter = { not: { countries: ['FR'] } };
      const first = (await ok(VISITORS, { filter, first: 2 }, a.admin)).visitors;
      expect(first.totalCount).toBe(5);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = (
        await ok(VISITORS, { filter, first: 2, after: first.pageInfo.endCursor }, a.admin)
      ).visitors;
      expect(second.totalCount).toBe(5);
      const unfiltered = (await ok(VISITORS, { first: 50 }, a.admin)).visitors.edges
        .map((e: any) => e.node.id)
        .filter((id: string) => NOT_FR.includes(names.get(id)!));
      expect([...first.edges, ...second.edges].map((e: any) => e.node.id)).toEqual(
        unfiltered.slice(0, 4),
      );
      for (const after of ['not a cursor', Buffer.from('["x","y"]').toString('base64url')]) {
        expect(await badInput(VISITORS, { filter, after })).toMatch(/cursor/);
      }
    });

    it('tells which of some visitors a filter selects (for campaigns)', async () => {
      const some = ['anne', 'chloe', 'hugo'].map((n) => ids.get(n)!);
      const auth = userAuth(a.destination.id);
      expect(await segments.memberIds(auth, { countries: ['FR'] }, [...some, 'garbage'])).toEqual([
        ids.get('anne'),
      ]);
      expect((await segments.memberIds(auth, {}, some)).sort()).toEqual(
        [ids.get('anne'), ids.get('chloe')].sort(),
      );
      expect(await segments.memberIds(userAuth(b.destination.id), {}, some)).toEqual([]);
    });

    it('API keys see only visitors with a PROFILING consent, whatever the filter', async () => {
      const key = await apiKey(a, ['READ_PROFILES']);
      expect(await members({}, key)).toEqual(['anne', 'chloe']);
      expect(await members({ countries: ['FR'] }, key)).toEqual(['anne']);
      expect(await members({ not: { countries: ['FR'] } }, key)).toEqual(['chloe']);
      // Filtering on the consent a key cannot see through changes nothing for it.
      expect(await members({ not: { hasConsent: { purpose: 'PROFILING' } } }, key)).toEqual([]);
    });
  });

  describe('bad filters', () => {
    it('names unknown interests (another destination’s too), countries and locales, at once', async () => {
      const message = await badInput(VISITORS, {
        filter: {
          interestsAny: ['knitting', 'gastronomy'],
          and: [{ interestsAll: ['oysters'], countries: ['FR', 'XX'] }],
          not: { locales: ['not a locale'] },
        },
      });
      expect(message).toContain('unknown interests: knitting, oysters');
      expect(message).toContain('unknown country codes: XX');
      expect(message).toContain('unknown locales (not BCP 47 tags): not a locale');
    });

    it.each([
      [
        'minInterestScore above 1',
        { interestsAny: ['gastronomy'], minInterestScore: 1.5 },
        /minInterestScore/,
      ],
      ['minInterestScore below 0', { minInterestScore: -0.5 }, /minInterestScore/],
      ['minAmbassadorScore above 100', { minAmbassadorScore: 101 }, /minAmbassadorScore/],
      [
        'a reversed stay range',
        { stayOverlaps: { from: iso(NOW), to: iso(NOW - DAY) } },
        /`from` must be before `to`/,
      ],
      ['9 levels', nested(9), /more than 8 levels/],
      ['60 levels', nested(60), /more than 8 levels/],
      [
        '201 conditions',
        { countries: ['FR'], or: Array.from({ length: 100 }, () => ({ tagsAny: ['x'] })) },
        /more than 200 conditions/,
      ],
    ])('%s', async (what, filter, message) => {
      for (const query of [VISITORS, PREVIEW, INSIGHTS]) {
        expect(await badInput(query, { filter })).toMatch(message);
      }
      expect(await badInput(CREATE_SEGMENT, { name: `bad ${String(what)}`, filter })).toMatch(
        message,
      );
    });

    it('accepts exactly 8 levels and 200 conditions', async () => {
      expect((await ok(PREVIEW, { filter: nested(8) }, a.admin)).previewSegment.count).toBe(5);
      const wide = { or: Array.from({ length: 100 }, () => ({ tagsAny: ['vip'] })) };
      expect((await ok(PREVIEW, { filter: wide }, a.admin)).previewSegment.count).toBe(2);
      // No interactions in this destination: nobody interacted (see interactions.e2e-spec.ts).
      const since = { interactedSince: iso(NOW - DAY) };
      expect((await ok(PREVIEW, { filter: since }, a.admin)).previewSegment.count).toBe(0);
    });

    it('stores nothing for a bad saved segment', async () => {
      const before = (await ok(SEGMENTS, {}, a.admin)).segments.length;
      await badInput(CREATE_SEGMENT, { name: 'Knitters', filter: { interestsAny: ['knitting'] } });
      expect((await ok(SEGMENTS, {}, a.admin)).segments).toHaveLength(before);
    });
  });

  describe('audience insights', () => {
    let c: Seeded;
    /** The visitor the differencing attack is after, in destination C. */
    let x: string;
    const COHORT = { tagsAny: ['cohort'] };
    const COHORT_WITHOUT_X = { tagsAny: ['cohort'], not: { tagsAny: ['target'] } };

    const setSalt = (salt: string) =>
      db.query('UPDATE destinations SET secret_salt = $1 WHERE id = $2', [salt, c.destination.id]);
    const insights = async (filter: Filter | null, headers: Headers = c.admin) =>
      (await ok(INSIGHTS, { filter }, headers)).audienceInsights as Record<string, any>;
    const countOf = (groups: Counts, key: string) => groups.find((g) => g.key === key)?.count ?? 0;
    /** The world where x is French and likes gastronomy, or German and likes heritage. */
    async function world(country: 'FR' | 'DE') {
      await ok(UPDATE_VISITOR, { id: x, input: { countryCode: country } }, c.admin);
      await db.query('DELETE FROM visitor_interests WHERE visitor_id = $1', [x]);
      await setScores(c.destination.id, x, { [country === 'FR' ? 'gastronomy' : 'heritage']: 0.9 });
    }

    beforeAll(async () => {
      // Destination C: 30 French (6 in the cohort), 20 German (6 in the cohort), 4 each of
      // ES, IT, NL, PT and 4 without a country; 25 French like gastronomy, 3 Germans heritage;
      // and x, in the cohort and the only "target".
      c = await seedDestination(app, 'Brest');
      await setSalt('insights-test-salt');
      for (const slug of ['gastronomy', 'heritage']) {
        await ok('mutation($s: String!) { upsertInterest(slug: $s) { id } }', { s: slug }, c.admin);
      }
      const groups: [string | null, number, number][] = [
        ['FR', 30, 6],
        ['DE', 20, 6],
        ['ES', 4, 0],
        ['IT', 4, 0],
        ['NL', 4, 0],
        ['PT', 4, 0],
        [null, 4, 0],
      ];
      for (const [country, n, inCohort] of groups) {
        for (let i = 0; i < n; i++) {
          const id = await createVisitor(
            { countryCode: country, tags: i < inCohort ? ['cohort'] : [] },
            c.admin,
          );
          if (country === 'FR' && i < 25)
            await setScores(c.destination.id, id, { gastronomy: 0.8 });
          if (country === 'DE' && i < 3) await setScores(c.destination.id, id, { heritage: 0.8 });
        }
      }
      x = await createVisitor({ countryCode: 'FR', tags: ['cohort', 'target'] }, c.admin);
      await world('FR');
    });

    it('counts exactly underneath (erased visitors kept, as DESIGN says aggregates are)', async () => {
      const exact = await segments.insightCounts(userAuth(c.destination.id), null);
      expect(exact.visitorCount).toBe(71);
      expect(exact.byCountry).toEqual([
        { key: 'FR', count: 31 },
        { key: 'DE', count: 20 },
        { key: 'ES', count: 4 },
        { key: 'IT', count: 4 },
        { key: 'NL', count: 4 },
        { key: 'PT', count: 4 },
        { key: 'unknown', count: 4 },
      ]);
      expect(exact.byInterest).toEqual([
        { key: 'gastronomy', count: 26 },
        { key: 'heritage', count: 3 },
      ]);
      expect(exact.byTier).toEqual([{ key: 'NONE', count: 71 }]);
      expect(exact.byPhase).toEqual([{ key: 'NONE', count: 71 }]);
      // In A, the erased hugo still counts among the French for users, never for keys.
      const fr = { countries: ['FR'] };
      expect((await segments.insightCounts(userAuth(a.destination.id), fr)).visitorCount).toBe(3);
      expect(
        (await segments.insightCounts(keyAuth(a.destination.id, [ApiScope.READ_AGGREGATES]), fr))
          .visitorCount,
      ).toBe(1);
    });

    it('folds groups under 5 into "other", rounds to 5, and shows the big groups', async () => {
      const r = await insights(null);
      expect(r.visitorCount % 5).toBe(0);
      expect(Math.abs(r.visitorCount - 71)).toBeLessThanOrEqual(10);
      // Shown groups are ordered by their published (noisy) counts: FR's 31 and DE's 20 may
      // come out either way round; the fold comes last.
      const keys: string[] = r.byCountry.map((g: any) => g.key);
      expect([...keys.slice(0, -1)].sort()).toEqual(['DE', 'FR']);
      expect(keys.at(-1)).toBe('other');
      expect(Math.abs(countOf(r.byCountry, 'FR') - 31)).toBeLessThanOrEqual(10);
      expect(Math.abs(countOf(r.byCountry, 'other') - 20)).toBeLessThanOrEqual(10);
      expect(r.byInterest.map((g: any) => g.key)).toEqual(['gastronomy']);
      expect(r.byTier.map((g: any) => g.key)).toEqual(['NONE']);
      expect(r.byPhase.map((g: any) => g.key)).toEqual(['NONE']);
      for (const g of [r.byCountry, r.byInterest, r.byPhase, r.byTier].flat()) {
        expect(g.count).toBeGreaterThanOrEqual(5);
        expect(g.count % 5).toBe(0);
      }
    });

    it('answers 0 and no groups when fewer than 5 visitors match: no one is singled out', async () => {
      const empty = { visitorCount: 0, byInterest: [], byCountry: [], byPhase: [], byTier: [] };
      expect(await insights({ tagsAny: ['target'] })).toEqual(empty);
      expect(await insights({ countries: ['ES'] })).toEqual(empty);
      // Nested, still 4 visitors (ES ∪ target would be 5: shown or not by the noisy threshold).
      expect(
        await insights({ and: [{ countries: ['ES'] }, { not: { tagsAny: ['target'] } }] }),
      ).toEqual(empty);
    });

    it('gives the same answer to the same question, and to a reordered one', async () => {
      const filter = { or: [{ countries: ['FR'] }, { tagsAny: ['cohort'] }] };
      const first = await insights(filter);
      expect(await insights(filter)).toEqual(first);
      expect(await insights({ or: [{ tagsAny: ['cohort'] }, { countries: ['fr'] }] })).toEqual(
        first,
      );
    });

    it('is for every role and READ_AGGREGATES keys, counting only consenting visitors for keys', async () => {
      for (const role of [Role.MARKETER, Role.ANALYST]) {
        expect((await insights(null, await c.as(role))).visitorCount).toBeGreaterThan(0);
      }
      const aggregates = await apiKey(c, ['READ_AGGREGATES']);
      // No one in C gave a PROFILING consent: a partner sees nothing.
      expect((await insights(null, aggregates)).visitorCount).toBe(0);
      const profiles = await apiKey(c, ['READ_PROFILES']);
      expect((await fails(INSIGHTS, {}, profiles)).extensions.code).toBe('FORBIDDEN');
      expect((await fails(PREVIEW, { filter: {} }, aggregates)).extensions.code).toBe('FORBIDDEN');
      expect((await fails(VISITORS, {}, aggregates)).extensions.code).toBe('FORBIDDEN');
    });

    it('cannot be differenced: two filters that differ by one visitor do not reveal their country or interest', async () => {
      // Without protection the attack works: the cohort with x minus the cohort without x.
      const withX = await segments.insightCounts(userAuth(c.destination.id), COHORT);
      const withoutX = await segments.insightCounts(userAuth(c.destination.id), COHORT_WITHOUT_X);
      expect(countOf(withX.byCountry, 'FR') - countOf(withoutX.byCountry, 'FR')).toBe(1);
      expect(
        countOf(withX.byInterest, 'gastronomy') - countOf(withoutX.byInterest, 'gastronomy'),
      ).toBe(1);

      // With it: x is French and likes gastronomy in one world, German and likes heritage in the
      // other. Over many destinations' secrets, the attacker guesses from A − B which world it is.
      let right = 0;
      let trials = 0;
      const guess = (a: Counts, b: Counts, yes: string, no: string) =>
        Math.sign(countOf(a, yes) - countOf(b, yes) - (countOf(a, no) - countOf(b, no)));
      for (const country of ['FR', 'DE'] as const) {
        await world(country);
        const truth = country === 'FR' ? 1 : -1;
        for (let i = 0; i < 40; i++) {
          await setSalt(`salt-${i}`);
          const [withX, withoutX] = [await insights(COHORT), await insights(COHORT_WITHOUT_X)];
          for (const [dimension, yes, no] of [
            ['byCountry', 'FR', 'DE'],
            ['byInterest', 'gastronomy', 'heritage'],
          ] as const) {
            const g = guess(withX[dimension], withoutX[dimension], yes, no);
            right += g === 0 ? 0.5 : g === truth ? 1 : 0;
            trials++;
          }
          // Whatever the world, x's group is never shown alone, nor under 5.
          for (const group of [withX.byCountry, withX.byInterest, withoutX.byCountry].flat()) {
            expect(group.count).toBeGreaterThanOrEqual(5);
          }
        }
      }
      // A coin is right half the time; exact counts would be right every time.
      expect(right / trials).toBeLessThan(0.7);
      await world('FR');
      await setSalt('insights-test-salt');
    });
  });

  describe('saved segments', () => {
    let gourmets: Record<string, any>;

    it('stores the validated, normalised filter; size and visitors are live', async () => {
      gourmets = (
        await ok(
          CREATE_SEGMENT,
          {
            name: ' French gourmets ',
            description: 'They eat well',
            filter: { countries: ['fr'], interestsAny: ['Gastronomy'], tagsAny: [] },
          },
          a.admin,
        )
      ).createSegment;
      expect(gourmets).toMatchObject({
        name: 'French gourmets',
        description: 'They eat well',
        filter: { countries: ['FR'], interestsAny: ['gastronomy'] },
        size: 1,
      });
      // A new French gourmet joins: the segment grows, with nothing to rebuild.
      const iris = await createVisitor({ firstName: 'iris', countryCode: 'FR' }, a.admin);
      names.set(iris, 'iris');
      await setScores(a.destination.id, iris, { gastronomy: 0.6 });
      const page1 = (await ok(SEGMENT, { id: gourmets.id, first: 1 }, a.admin)).segment;
      expect(page1.size).toBe(2);
      expect(page1.visitors.totalCount).toBe(2);
      expect(page1.visitors.edges.map((e: any) => names.get(e.node.id))).toEqual(['anne']);
      const page2 = (
        await ok(
          SEGMENT,
          { id: gourmets.id, first: 1, after: page1.visitors.pageInfo.endCursor },
          a.admin,
        )
      ).segment;
      expect(page2.visitors.edges.map((e: any) => names.get(e.node.id))).toEqual(['iris']);
      expect(page2.visitors.pageInfo.hasNextPage).toBe(false);
      // ...and shrinks when she is erased.
      await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: iris }, a.admin);
      expect((await ok(SEGMENT, { id: gourmets.id }, a.admin)).segment.size).toBe(1);
    });

    it('refuses a second segment with the same name (CONFLICT)', async () => {
      const error = await fails(
        CREATE_SEGMENT,
        { name: 'French gourmets', filter: {} },
        await a.as(Role.MARKETER),
      );
      expect(error.extensions.code).toBe('CONFLICT');
      expect(await badInput(CREATE_SEGMENT, { name: '  ', filter: {} })).toMatch(/name/);
    });

    it('lists by name; analysts read, only admins and marketers write; keys cannot', async () => {
      const marketer = await a.as(Role.MARKETER);
      await ok(CREATE_SEGMENT, { name: 'Anyone', filter: {} }, marketer);
      const analyst = await a.as(Role.ANALYST);
      const list = (await ok(SEGMENTS, {}, analyst)).segments;
      expect(list.map((s: any) => s.name)).toEqual(['Anyone', 'French gourmets']);
      expect(list.map((s: any) => s.size)).toEqual([7, 1]);
      expect((await ok(SEGMENT, { id: gourmets.id }, analyst)).segment.name).toBe(
        'French gourmets',
      );
      expect((await ok(PREVIEW, { filter: {} }, analyst)).previewSegment.count).toBe(7);
      for (const headers of [analyst, await apiKey(a, ['READ_PROFILES', 'READ_AGGREGATES'])]) {
        expect(
          (await fails(CREATE_SEGMENT, { name: 'No', filter: {} }, headers)).extensions.code,
        ).toBe('FORBIDDEN');
        expect((await fails(DELETE_SEGMENT, { id: gourmets.id }, headers)).extensions.code).toBe(
          'FORBIDDEN',
        );
      }
      const key = await apiKey(a, ['READ_PROFILES', 'READ_AGGREGATES']);
      expect((await fails(SEGMENTS, {}, key)).extensions.code).toBe('FORBIDDEN');
      expect((await fails(PREVIEW, { filter: {} }, key)).extensions.code).toBe('FORBIDDEN');
    });

    it('deletes; a deleted or malformed id is NOT_FOUND / BAD_USER_INPUT', async () => {
      const doomed = (await ok(CREATE_SEGMENT, { name: 'Doomed', filter: {} }, a.admin))
        .createSegment;
      expect((await ok(DELETE_SEGMENT, { id: doomed.id }, a.admin)).deleteSegment).toBe(true);
      expect((await fails(SEGMENT, { id: doomed.id }, a.admin)).extensions.code).toBe('NOT_FOUND');
      expect((await fails(DELETE_SEGMENT, { id: doomed.id }, a.admin)).extensions.code).toBe(
        'NOT_FOUND',
      );
      expect(await badInput(SEGMENT, { id: 'nope' })).toMatch(/id/);
    });
  });

  describe('tenant isolation', () => {
    it("never selects another destination's visitors, nor knows its interests", async () => {
      expect(await members({ countries: ['FR'] }, b.admin)).toEqual(['yann']);
      expect(await members({ tagsAny: ['vip'] }, b.admin)).toEqual(['yann']);
      expect(await members({ interestsAny: ['oysters'] }, b.admin)).toEqual(['yann']);
      expect(await badInput(VISITORS, { filter: { interestsAny: ['oysters'] } })).toMatch(
        /unknown interests: oysters/,
      );
      expect(
        await badInput(VISITORS, { filter: { interestsAny: ['kouign-amann'] } }, b.admin),
      ).toMatch(/unknown interests: kouign-amann/);
      const preview = (await ok(PREVIEW, { filter: {} }, b.admin)).previewSegment;
      expect(preview.count).toBe(1);
      expect(preview.byCountry).toEqual([{ key: 'FR', count: 1 }]);
      expect((await segments.insightCounts(userAuth(b.destination.id), null)).visitorCount).toBe(1);
    });

    it("answers NOT_FOUND for another destination's segment, and lists only its own", async () => {
      const mine = (
        await ok(CREATE_SEGMENT, { name: 'Rennes only', filter: { countries: ['FR'] } }, a.admin)
      ).createSegment;
      expect((await fails(SEGMENT, { id: mine.id }, b.admin)).extensions.code).toBe('NOT_FOUND');
      expect((await fails(DELETE_SEGMENT, { id: mine.id }, b.admin)).extensions.code).toBe(
        'NOT_FOUND',
      );
      expect((await ok(SEGMENTS, {}, b.admin)).segments).toEqual([]);
      // The same name is free in another destination, and means its own visitors there.
      const theirs = (
        await ok(CREATE_SEGMENT, { name: 'Rennes only', filter: { countries: ['FR'] } }, b.admin)
      ).createSegment;
      expect(theirs.size).toBe(1);
      expect((await ok(SEGMENT, { id: mine.id }, a.admin)).segment.size).toBe(2);
    });
  });
});
