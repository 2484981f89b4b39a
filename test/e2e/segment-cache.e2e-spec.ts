import { jest } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { Clock } from '../../src/common/clock/clock.js';
import type { AuthContext } from '../../src/modules/access/auth-context.js';
import { Role } from '../../src/modules/access/user.entity.js';
import { InterestScoresService } from '../../src/modules/interests/interest-scores.service.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Filter = Record<string, unknown>;

const DAY = 86_400_000;
const NOW = Date.parse('2026-07-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const VISITORS = `query($filter: SegmentFilterInput, $first: Int, $after: String) {
  visitors(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id } }
  }
}`;
const CREATE_VISITOR =
  'mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { id } }';
const UPDATE_VISITOR =
  'mutation($id: ID!, $input: UpdateVisitorInput!) { updateVisitor(id: $id, input: $input) { id } }';
const RECORD_CONSENT =
  'mutation($id: ID!, $c: ConsentInput!) { recordConsent(visitorId: $id, consent: $c) { id } }';
const UPSERT_STAY = 'mutation($input: StayInput!) { upsertStay(input: $input) { id } }';
const HEADER =
  'firstName,lastName,email,phone,locale,countryCode,timeZone,tags,twitterHandle,consentEmailMarketing,declaredInterests';

const EMAIL_MARKETING: Filter = { hasConsent: { channel: 'EMAIL', purpose: 'MARKETING' } };
const PROFILING: Filter = { hasConsent: { purpose: 'PROFILING' } };
const HERITAGE: Filter = { interestsAny: ['heritage'] };

/**
 * Segments read facts cached on the visitor row (strong interests, granted consents, stay facts:
 * migrations SegmentsPerformance and SegmentCacheMaintenance). Each kind of write, through the
 * public API (and the nightly score refresh), is followed by a segment whose answer changes with
 * it; after each one, every cached fact of the destination equals its definition.
 */
describe('segment caches follow every write (e2e)', () => {
  let app: TestApp;
  let db: DataSource;
  let a: Seeded;
  let now = NOW;
  const names = new Map<string, string>();
  const ids = new Map<string, string>();
  const id = (name: string) => ids.get(name)!;

  const ok = <T = Record<string, any>>(q: string, v: Record<string, unknown>) =>
    app.ok<T>(q, v, a.admin);
  const auth = (): AuthContext => ({
    destinationId: a.destination.id,
    principal: { kind: 'user', userId: '00000000-0000-4000-8000-000000000000', role: Role.ADMIN },
  });

  /** The visitors a filter selects, by name, through every page; the total must agree. */
  async function members(filter: Filter): Promise<string[]> {
    const found: string[] = [];
    const totals = new Set<number>();
    for (let after: string | null = null; ;) {
      const page: any = (await ok(VISITORS, { filter, first: 50, after })).visitors;
      totals.add(page.totalCount);
      found.push(...page.edges.map((e: any) => names.get(e.node.id) ?? e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect([...totals]).toEqual([found.length]);
    return found.sort();
  }

  /** Every cached fact of the destination's visitors equals its definition. */
  async function expectCachesExact() {
    const stale: { id: string }[] = await db.query(
      `SELECT id FROM visitors
        WHERE destination_id = $1
          AND (strong_interests IS DISTINCT FROM strong_interests_of(id)
            OR granted_consents IS DISTINCT FROM granted_consents_of(id)
            OR booked_stays IS DISTINCT FROM booked_stays_of(id)
            OR stay_departures IS DISTINCT FROM stay_departures_of(id))`,
      [a.destination.id],
    );
    expect(stale.map((r) => names.get(r.id) ?? r.id)).toEqual([]);
    // And the narrow facts rows segments read (migration SegmentFacts) are their projection.
    const differ: { visitor_id: string }[] = await db.query(
      `SELECT visitor_id FROM (
         (SELECT * FROM segment_facts_expected WHERE destination_id = $1
          EXCEPT ALL SELECT * FROM segment_facts WHERE destination_id = $1)
         UNION ALL
         (SELECT * FROM segment_facts WHERE destination_id = $1
          EXCEPT ALL SELECT * FROM segment_facts_expected WHERE destination_id = $1)) x`,
      [a.destination.id],
    );
    expect(differ.map((r) => names.get(r.visitor_id) ?? r.visitor_id)).toEqual([]);
  }

  async function createVisitor(name: string, input: Filter = {}) {
    const visitorId = (await ok(CREATE_VISITOR, { input: { firstName: name, ...input } }))
      .createVisitor.id as string;
    ids.set(name, visitorId);
    names.set(visitorId, name);
    return visitorId;
  }
  const consent = (channel: string | null, purpose: string, granted: boolean) => ({
    channel,
    purpose,
    granted,
    source: 'form',
  });
  const stay = (name: string, from: number, days: number, externalRef?: string) =>
    ok(UPSERT_STAY, {
      input: {
        visitorId: id(name),
        arrivalAt: iso(from),
        departureAt: iso(from + days * DAY),
        source: 'partner:hotel',
        ...(externalRef ? { externalRef } : {}),
      },
    }).then((d) => d.upsertStay.id as string);

  beforeAll(async () => {
    app = await startTestApp();
    db = app.runtime.app.get(DataSource);
    jest.spyOn(app.runtime.app.get(Clock), 'now').mockImplementation(() => new Date(now));
    a = await seedDestination(app, 'Concarneau');
  });
  afterAll(() => app?.stop());

  it('follows declared interests: created, replaced, removed', async () => {
    await createVisitor('alice', { declaredInterests: ['heritage'] });
    await createVisitor('bob');
    expect(await members(HERITAGE)).toEqual(['alice']);
    await ok(UPDATE_VISITOR, { id: id('bob'), input: { declaredInterests: ['heritage'] } });
    expect(await members(HERITAGE)).toEqual(['alice', 'bob']);
    await ok(UPDATE_VISITOR, { id: id('alice'), input: { declaredInterests: ['gastronomy'] } });
    expect(await members(HERITAGE)).toEqual(['bob']);
    expect(await members({ interestsAll: ['heritage', 'gastronomy'] })).toEqual([]);
    expect(await members({ interestsAny: ['heritage', 'gastronomy'] })).toEqual(['alice', 'bob']);
    await expectCachesExact();
  });

  it('follows the nightly decay of scores, the other thresholds reading the scores', async () => {
    // A declared interest alone scores 0.86 fresh; after 300 days (half-life 90) about 0.18.
    const scores = app.runtime.app.get(InterestScoresService);
    now = NOW + 300 * DAY;
    await scores.refreshScores(a.destination.id);
    expect(await members(HERITAGE)).toEqual([]);
    expect(await members({ interestsAny: ['heritage'], minInterestScore: 0.1 })).toEqual(['bob']);
    expect(await members({ interestsAny: ['heritage'], minInterestScore: 0.19 })).toEqual([]);
    await expectCachesExact();
    now = NOW;
    await scores.refreshScores(a.destination.id);
    expect(await members(HERITAGE)).toEqual(['bob']);
    expect(await members({ interestsAll: ['heritage'], minInterestScore: 0.5 })).toEqual(['bob']);
    await expectCachesExact();
  });

  it('follows profile edits: country, locale, tags', async () => {
    await ok(UPDATE_VISITOR, {
      id: id('alice'),
      input: { countryCode: 'FR', locale: 'fr-FR', tags: ['vip'] },
    });
    expect(await members({ countries: ['FR'] })).toEqual(['alice']);
    expect(await members({ locales: ['fr'], tagsAny: ['vip'] })).toEqual(['alice']);
    await ok(UPDATE_VISITOR, { id: id('alice'), input: { countryCode: 'BE', tags: [] } });
    expect(await members({ countries: ['FR'] })).toEqual([]);
    expect(await members({ not: { countries: ['FR'] } })).toEqual(['alice', 'bob']);
    expect(await members({ tagsAny: ['vip'] })).toEqual([]);
    await expectCachesExact();
  });

  it('follows ambassador scores: written, changed, deleted (no score: NONE / 0)', async () => {
    const write = (name: string, score: number, tier: string) =>
      db.query(
        `INSERT INTO ambassador_scores (destination_id, visitor_id, score, tier, reach, ratio,
           amplification, engagement, activity, sentiment, recency, posts, computed_at)
         VALUES ($1, $2, $3, $4, 0, 0, 0, 0, 0, 0, 0, 5, now())
         ON CONFLICT (visitor_id) DO UPDATE SET score = excluded.score, tier = excluded.tier`,
        [a.destination.id, id(name), score, tier],
      );
    expect(await members({ ambassadorTiers: ['NONE'] })).toEqual(['alice', 'bob']);
    await write('alice', 30, 'FAN');
    expect(await members({ ambassadorTiers: ['FAN'] })).toEqual(['alice']);
    expect(await members({ ambassadorTiers: ['NONE'] })).toEqual(['bob']);
    expect(await members({ minAmbassadorScore: 30 })).toEqual(['alice']);
    await write('alice', 80, 'AMBASSADOR');
    await write('bob', 10, 'NONE');
    expect(await members({ ambassadorTiers: ['AMBASSADOR'], minAmbassadorScore: 75 })).toEqual([
      'alice',
    ]);
    expect(await members({ minAmbassadorScore: 5 })).toEqual(['alice', 'bob']);
    await expectCachesExact();
    await db.query('DELETE FROM ambassador_scores WHERE visitor_id = ANY($1::uuid[])', [
      [id('alice'), id('bob')],
    ]);
    expect(await members({ ambassadorTiers: ['NONE'] })).toEqual(['alice', 'bob']);
    expect(await members({ minAmbassadorScore: 1 })).toEqual([]);
    await expectCachesExact();
  });

  it('gives the first 64 interests a bit each; a later one is read from its scores', async () => {
    const slugs = Array.from({ length: 52 }, (_, i) => `theme-${String(i).padStart(2, '0')}`);
    for (const slug of slugs) {
      await ok('mutation($slug: String!) { upsertInterest(slug: $slug) { id } }', { slug });
    }
    const bits: { slug: string; bit: number | null }[] = await db.query(
      'SELECT slug, bit FROM interests WHERE destination_id = $1 ORDER BY bit NULLS LAST, slug',
      [a.destination.id],
    );
    expect(bits).toHaveLength(67);
    expect(bits.slice(0, 64).map((b) => b.bit)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    const late = bits.filter((b) => b.bit === null).map((b) => b.slug);
    expect(late).toHaveLength(3);
    // Editing an interest keeps its bit; seeding the taxonomy again takes none.
    await ok('mutation($slug: String!) { upsertInterest(slug: $slug, keywords: ["x"]) { id } }', {
      slug: bits[10].slug,
    });
    await db.query(
      `INSERT INTO interests (destination_id, slug) SELECT destination_id, slug FROM interests
        WHERE destination_id = $1 ON CONFLICT (destination_id, slug) DO NOTHING`,
      [a.destination.id],
    );
    expect(
      await db.query(
        'SELECT slug, bit FROM interests WHERE destination_id = $1 ORDER BY bit NULLS LAST, slug',
        [a.destination.id],
      ),
    ).toEqual(bits);
    await ok(UPDATE_VISITOR, {
      id: id('bob'),
      input: { declaredInterests: ['heritage', late[0], bits[63].slug] },
    });
    expect(await members({ interestsAny: [late[0]] })).toEqual(['bob']);
    expect(await members({ interestsAny: [late[1], bits[63].slug] })).toEqual(['bob']);
    expect(await members({ interestsAll: [late[0], 'heritage', bits[63].slug] })).toEqual(['bob']);
    expect(await members({ interestsAll: [late[0], late[1]] })).toEqual([]);
    expect(await members({ not: { interestsAny: [late[0]] } })).toEqual(['alice']);
    const segments = app.runtime.app.get(SegmentsService);
    const counts = (await segments.insightCounts(auth(), {})).byInterest;
    expect(counts).toEqual(
      expect.arrayContaining([
        { key: late[0], count: 1 },
        { key: bits[63].slug, count: 1 },
        { key: 'heritage', count: 1 },
      ]),
    );
    await ok(UPDATE_VISITOR, { id: id('bob'), input: { declaredInterests: ['heritage'] } });
    expect(await members({ interestsAny: [late[0]] })).toEqual([]);
    await expectCachesExact();
  });

  it('follows consents: granted, withdrawn by a newer record, another channel apart', async () => {
    await ok(RECORD_CONSENT, { id: id('alice'), c: consent('EMAIL', 'MARKETING', true) });
    expect(await members(EMAIL_MARKETING)).toEqual(['alice']);
    await ok(RECORD_CONSENT, { id: id('bob'), c: consent('EMAIL', 'MARKETING', true) });
    expect(await members(EMAIL_MARKETING)).toEqual(['alice', 'bob']);
    now = NOW + 1000;
    await ok(RECORD_CONSENT, { id: id('alice'), c: consent('EMAIL', 'MARKETING', false) });
    await ok(RECORD_CONSENT, { id: id('alice'), c: consent('TWITTER_DM', 'MARKETING', true) });
    now = NOW;
    expect(await members(EMAIL_MARKETING)).toEqual(['bob']);
    expect(await members({ hasConsent: { channel: 'TWITTER_DM', purpose: 'MARKETING' } })).toEqual([
      'alice',
    ]);
    expect(await members(PROFILING)).toEqual([]);
    await expectCachesExact();
  });

  it('follows stays: booked, moved, cancelled', async () => {
    const ref = 'BOOKING-1';
    await stay('alice', NOW + 10 * DAY, 3, ref);
    expect(await members({ phases: ['BEFORE'] })).toEqual(['alice']);
    expect(
      await members({ stayOverlaps: { from: iso(NOW + 11 * DAY), to: iso(NOW + 12 * DAY) } }),
    ).toEqual(['alice']);
    // The same booking reference again: the stay moves (now it has begun).
    const moved = await stay('alice', NOW - DAY, 3, ref);
    expect(await members({ phases: ['BEFORE'] })).toEqual([]);
    expect(await members({ phases: ['DURING'] })).toEqual(['alice']);
    expect(
      await members({ stayOverlaps: { from: iso(NOW + 11 * DAY), to: iso(NOW + 12 * DAY) } }),
    ).toEqual([]);
    await ok('mutation($id: ID!) { cancelStay(id: $id) { id } }', { id: moved });
    expect(await members({ phases: ['DURING', 'BEFORE', 'AFTER'] })).toEqual([]);
    expect(await members({ phases: ['NONE'] })).toEqual(['alice', 'bob']);
    await stay('bob', NOW - 20 * DAY, 5);
    expect(await members({ phases: ['AFTER'] })).toEqual(['bob']);
    await expectCachesExact();
  });

  it("follows a merge: the kept visitor takes the merged one's consents, stays and interests", async () => {
    await createVisitor('carol', {
      declaredInterests: ['nature-outdoors'],
      consents: [consent(null, 'PROFILING', true)],
    });
    await stay('carol', NOW + 40 * DAY, 7);
    expect(await members({ phases: ['BEFORE'] })).toEqual(['carol']);
    await ok('mutation($k: ID!, $m: ID!) { mergeVisitors(keepId: $k, mergeId: $m) { id } }', {
      k: id('bob'),
      m: id('carol'),
    });
    expect(await members({ phases: ['BEFORE'] })).toEqual(['bob']);
    expect(await members(PROFILING)).toEqual(['bob']);
    expect(await members({ interestsAny: ['nature-outdoors'] })).toEqual(['bob']);
    expect(await members({ interestsAll: ['nature-outdoors', 'heritage'] })).toEqual(['bob']);
    await expectCachesExact();
  });

  it('follows an erasure: no consent left, anonymous interests still counted in aggregates', async () => {
    const segments = app.runtime.app.get(SegmentsService);
    const exact = async (filter: Filter) =>
      (await segments.insightCounts(auth(), filter)).visitorCount;
    expect(await exact(EMAIL_MARKETING)).toBe(1);
    expect(await exact(HERITAGE)).toBe(1);
    await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: id('bob') });
    expect(await members({})).toEqual(['alice']);
    expect(await exact(EMAIL_MARKETING)).toBe(0);
    expect(await exact(PROFILING)).toBe(0);
    expect(await exact(HERITAGE)).toBe(1);
    await expectCachesExact();
  });

  it('follows a CSV import: new visitors, then updates of the same people', async () => {
    const importCsv = async (lines: string[]) =>
      (
        await ok(
          'mutation($csv: String!) { importVisitors(csv: $csv) { created updated rejected { line } } }',
          { csv: [HEADER, ...lines].join('\n') },
        )
      ).importVisitors;
    expect(
      await importCsv([
        'Dora,,dora@example.org,,,,,,,yes,heritage|wellbeing',
        'Ewan,,ewan@example.org,,,,,,,no,wellbeing',
        'Fanny,,fanny@example.org,,,,,,,,',
      ]),
    ).toEqual({ created: 3, updated: 0, rejected: [] });
    const imported: { id: string; first_name: string }[] = await db.query(
      "SELECT id, first_name FROM visitors WHERE destination_id = $1 AND email LIKE '%@example.org'",
      [a.destination.id],
    );
    for (const v of imported) {
      ids.set(v.first_name.toLowerCase(), v.id);
      names.set(v.id, v.first_name.toLowerCase());
    }
    expect(await members(EMAIL_MARKETING)).toEqual(['dora']);
    expect(await members(HERITAGE)).toEqual(['dora']);
    expect(await members({ interestsAny: ['wellbeing'] })).toEqual(['dora', 'ewan']);
    now = NOW + 1000;
    expect(
      await importCsv([
        'Dora,,dora@example.org,,,,,,,no,',
        'Ewan,,ewan@example.org,,,,,,,yes,heritage',
      ]),
    ).toEqual({ created: 0, updated: 2, rejected: [] });
    now = NOW;
    expect(await members(EMAIL_MARKETING)).toEqual(['ewan']);
    expect(await members(HERITAGE)).toEqual(['dora', 'ewan']);
    await expectCachesExact();
  });

  it('stays exact when two transactions write records of the same visitor at once', async () => {
    const visitorId = await createVisitor('gwen');
    const client = () => new pg.Client({ connectionString: app.databaseUrl });
    const [t1, t2, watcher] = [client(), client(), client()];
    await Promise.all([t1.connect(), t2.connect(), watcher.connect()]);
    try {
      const insertConsent = (c: pg.Client, channel: string | null, purpose: string) =>
        c.query(
          `INSERT INTO consents (destination_id, visitor_id, channel, purpose, granted, source, recorded_at)
           VALUES ($1, $2, $3, $4, true, 'form', now())`,
          [a.destination.id, visitorId, channel, purpose],
        );
      const insertStay = (c: pg.Client, from: number) =>
        c.query(
          `INSERT INTO stays (destination_id, visitor_id, arrival_at, departure_at, party_size, status, source)
           VALUES ($1, $2, $3, $4, 1, 'BOOKED', 'office')`,
          [a.destination.id, visitorId, iso(from), iso(from + 2 * DAY)],
        );
      await t1.query('BEGIN');
      await t2.query('BEGIN');
      await insertConsent(t1, 'EMAIL', 'MARKETING');
      await insertStay(t1, NOW + 5 * DAY);
      const t2pid = (await t2.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // t2 writes other records of the same visitor while t1 is open: its triggers must wait
      // for t1, then see t1's records.
      const second = (async () => {
        await insertConsent(t2, null, 'PROFILING');
        await insertStay(t2, NOW - DAY);
      })();
      for (;;) {
        const { rows } = await watcher.query<{ waiting: boolean }>(
          "SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1",
          [t2pid],
        );
        if (rows[0]?.waiting) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await t1.query('COMMIT');
      await second;
      await t2.query('COMMIT');
    } finally {
      await Promise.all([t1.end(), t2.end(), watcher.end()]);
    }
    expect(await members(EMAIL_MARKETING)).toContain('gwen');
    expect(await members(PROFILING)).toContain('gwen');
    await expectCachesExact();
  });

  it('keeps the facts exact when a profile edit and an ambassador score meet on one visitor', async () => {
    const visitorId = await createVisitor('hana');
    const client = () => new pg.Client({ connectionString: app.databaseUrl });
    const editProfile = (c: pg.Client, country: string) =>
      c.query('UPDATE visitors SET country_code = $2 WHERE id = $1', [visitorId, country]);
    const writeScore = (c: pg.Client, score: number, tier: string) =>
      c.query(
        `INSERT INTO ambassador_scores (destination_id, visitor_id, score, tier, reach, ratio,
           amplification, engagement, activity, sentiment, recency, posts, computed_at)
         VALUES ($1, $2, $3, $4, 0, 0, 0, 0, 0, 0, 0, 5, now())
         ON CONFLICT (visitor_id) DO UPDATE SET score = excluded.score, tier = excluded.tier`,
        [a.destination.id, visitorId, score, tier],
      );
    // Either may come first: the second waits for the first's lock on the facts row, then
    // writes only its own columns.
    const orders: [(c: pg.Client) => Promise<unknown>, (c: pg.Client) => Promise<unknown>][] = [
      [(c) => editProfile(c, 'IT'), (c) => writeScore(c, 60, 'ADVOCATE')],
      [(c) => writeScore(c, 90, 'AMBASSADOR'), (c) => editProfile(c, 'ES')],
    ];
    for (const [first, second] of orders) {
      const [t1, t2, watcher] = [client(), client(), client()];
      await Promise.all([t1.connect(), t2.connect(), watcher.connect()]);
      try {
        await t1.query('BEGIN');
        await t2.query('BEGIN');
        await first(t1);
        const t2pid = (await t2.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
          .pid;
        const waiting = second(t2);
        for (;;) {
          const { rows } = await watcher.query<{ waiting: boolean }>(
            "SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1",
            [t2pid],
          );
          if (rows[0]?.waiting) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await t1.query('COMMIT');
        await waiting;
        await t2.query('COMMIT');
      } finally {
        await Promise.all([t1.end(), t2.end(), watcher.end()]);
      }
    }
    expect(await members({ countries: ['ES'], ambassadorTiers: ['AMBASSADOR'] })).toEqual(['hana']);
    expect(await members({ phases: ['DURING'] })).toContain('gwen');
    expect(
      await members({ stayOverlaps: { from: iso(NOW + 5 * DAY), to: iso(NOW + 6 * DAY) } }),
    ).toContain('gwen');
    await expectCachesExact();
  });

  it('follows scores written by hand: only crossings of the strong threshold change it', async () => {
    await createVisitor('carol');
    await createVisitor('dan');
    const [{ id: wine }]: { id: string }[] = await db.query(
      "SELECT id FROM interests WHERE destination_id = $1 AND slug = 'wine-drinks'",
      [a.destination.id],
    );
    const set = (name: string, score: number) =>
      db.query(
        `INSERT INTO visitor_interests (destination_id, visitor_id, interest_id, score,
                                        evidence_count, last_evidence_at, sources, computed_at)
         VALUES ($1, $2, $3, $4, 1, now(), '{DECLARED}', now())
         ON CONFLICT (visitor_id, interest_id) DO UPDATE SET score = excluded.score`,
        [a.destination.id, id(name), wine, score],
      );
    const WINE = { interestsAny: ['wine-drinks'] };
    await set('carol', 0.1); // inserted below the threshold
    expect(await members(WINE)).toEqual([]);
    await set('carol', 0.3); // crosses up
    expect(await members(WINE)).toEqual(['carol']);
    await set('carol', 0.25); // moves above it
    await set('dan', 0.5);
    expect(await members(WINE)).toEqual(['carol', 'dan']);
    await set('carol', 0.19); // crosses down
    expect(await members(WINE)).toEqual(['dan']);
    // A row moved to another visitor (as a merge may move it): both are recomputed. Carol's
    // own row (below the threshold) goes first, which changes nothing.
    await db.query('DELETE FROM visitor_interests WHERE visitor_id = $1 AND interest_id = $2', [
      id('carol'),
      wine,
    ]);
    expect(await members(WINE)).toEqual(['dan']);
    await db.query(
      'UPDATE visitor_interests SET visitor_id = $2 WHERE visitor_id = $1 AND interest_id = $3',
      [id('dan'), id('carol'), wine],
    );
    expect(await members(WINE)).toEqual(['carol']);
    await db.query('DELETE FROM visitor_interests WHERE visitor_id = $1 AND interest_id = $2', [
      id('carol'),
      wine,
    ]);
    expect(await members(WINE)).toEqual([]);
    await expectCachesExact();
  });
});
