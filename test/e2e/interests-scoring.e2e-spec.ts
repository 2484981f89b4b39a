import { jest } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { Clock } from '../../src/common/clock/clock.js';
import { RequestLoaders } from '../../src/common/dataloader/request-loaders.js';
import { AppError } from '../../src/common/errors/app-error.js';
import { loadConfig, ConfigError } from '../../src/infra/config/config.js';
import { QueueName } from '../../src/infra/queue/queue.constants.js';
import type { AuthContext } from '../../src/modules/access/auth-context.js';
import { Role } from '../../src/modules/access/user.entity.js';
import { EvidenceKind } from '../../src/modules/interests/interest-evidence.entity.js';
import {
  DEFAULT_EVIDENCE_WEIGHTS,
  InterestScoresService,
  type EvidenceItem,
} from '../../src/modules/interests/interest-scores.service.js';
import { InterestsService } from '../../src/modules/interests/interests.service.js';
import {
  InterestJob,
  InterestScoresProcessor,
  NIGHTLY_REFRESH_CRON,
} from '../../src/modules/interests/jobs/interest-scores.job.js';
import { TaxonomySeeder } from '../../src/modules/interests/taxonomy-seeder.js';
import { TAXONOMY } from '../../src/modules/interests/taxonomy.js';
import { VisitorInterestView } from '../../src/modules/interests/visitor-interest.model.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;

const DAY = 86_400_000;
const HALF_LIFE_DAYS = 90;

interface ScoreRow {
  score: number;
  evidence_count: number;
  last_evidence_at: Date;
  sources: string[];
  computed_at: Date;
}

/** Σ wᵢ · 2^(−ageᵢ / halfLife), age at `now`: the sum behind a score. */
function expectedSum(
  evidence: Array<{ weight: number; occurredAt: Date }>,
  now: Date,
  halfLifeDays = HALF_LIFE_DAYS,
): number {
  return evidence.reduce(
    (acc, e) =>
      acc +
      e.weight * 2 ** (-Math.max(now.getTime() - e.occurredAt.getTime(), 0) / (halfLifeDays * DAY)),
    0,
  );
}

/** The formula, in the test: 1 − exp(−Σ wᵢ · 2^(−ageᵢ / halfLife)), age at `now`. */
function expectedScore(
  evidence: Array<{ weight: number; occurredAt: Date }>,
  now: Date,
  halfLifeDays = HALF_LIFE_DAYS,
): number {
  return 1 - Math.exp(-expectedSum(evidence, now, halfLifeDays));
}

describe('interest taxonomy, evidence and scores (e2e)', () => {
  let app: TestApp;
  let a: Seeded;
  let b: Seeded;
  let dataSource: DataSource;
  let interests: InterestsService;
  let scores: InterestScoresService;
  /** slug → id, per destination. */
  let idsA: Map<string, string>;
  let idsB: Map<string, string>;
  let authA: AuthContext;

  const authOf = (destinationId: string): AuthContext => ({
    destinationId,
    principal: { kind: 'user', userId: '00000000-0000-4000-8000-000000000000', role: Role.ADMIN },
  });

  async function createVisitor(destinationId: string): Promise<string> {
    const [row]: { id: string }[] = await dataSource.query(
      'INSERT INTO visitors (destination_id) VALUES ($1) RETURNING id',
      [destinationId],
    );
    return row.id;
  }

  async function interestIds(destinationId: string): Promise<Map<string, string>> {
    const rows: { id: string; slug: string }[] = await dataSource.query(
      'SELECT id, slug FROM interests WHERE destination_id = $1',
      [destinationId],
    );
    return new Map(rows.map((r) => [r.slug, r.id]));
  }

  async function scoreRow(visitorId: string, interestId: string): Promise<ScoreRow | undefined> {
    const [row]: ScoreRow[] = await dataSource.query(
      `SELECT score, evidence_count, last_evidence_at, sources, computed_at
         FROM visitor_interests WHERE visitor_id = $1 AND interest_id = $2`,
      [visitorId, interestId],
    );
    return row;
  }

  async function evidenceOf(visitorId: string) {
    const rows: {
      interest_id: string;
      kind: string;
      weight: number;
      source_id: string;
      occurred_at: Date;
    }[] = await dataSource.query(
      `SELECT interest_id, kind, weight, source_id, occurred_at FROM interest_evidence
        WHERE visitor_id = $1 ORDER BY interest_id, kind::text, source_id`,
      [visitorId],
    );
    return rows;
  }

  /** Checks the stored score against the formula, at the time the row says it was computed. */
  async function expectScore(
    visitorId: string,
    interestId: string,
    evidence: Array<{ weight: number; occurredAt: Date }>,
    halfLifeDays = HALF_LIFE_DAYS,
  ): Promise<ScoreRow> {
    const row = await scoreRow(visitorId, interestId);
    expect(row).toBeDefined();
    expect(row!.score).toBeCloseTo(expectedScore(evidence, row!.computed_at, halfLifeDays), 12);
    expect(row!.evidence_count).toBe(evidence.length);
    expect(row!.last_evidence_at).toEqual(
      new Date(Math.max(...evidence.map((e) => e.occurredAt.getTime()))),
    );
    return row!;
  }

  beforeAll(async () => {
    app = await startTestApp();
    a = await seedDestination(app, 'Scoring A');
    b = await seedDestination(app, 'Scoring B');
    dataSource = app.runtime.app.get(DataSource);
    interests = app.runtime.app.get(InterestsService);
    scores = app.runtime.app.get(InterestScoresService);
    idsA = await interestIds(a.destination.id);
    idsB = await interestIds(b.destination.id);
    authA = authOf(a.destination.id);
  });
  afterAll(() => app?.stop());
  afterEach(() => jest.restoreAllMocks());

  describe('seeded taxonomy', () => {
    const QUERY =
      '{ interests { id slug keywords hashtags fr: label(locale: "fr") en: label(locale: "en") parent { slug } } }';

    it('gives a new destination every seeded interest, with French and English labels', async () => {
      const res = await app.gql(QUERY, {}, a.admin);
      expect(res.errors).toBeUndefined();
      const list = res.data.interests as Array<Record<string, unknown>>;
      expect(list.length).toBeGreaterThanOrEqual(14);
      expect(list).toEqual(
        [...TAXONOMY]
          .sort((x, y) => x.slug.localeCompare(y.slug))
          .map((t) => ({
            id: expect.any(String),
            slug: t.slug,
            keywords: t.keywords,
            hashtags: t.hashtags,
            fr: t.labels.fr,
            en: t.labels.en,
            parent: null,
          })),
      );
    });

    it('gives each destination its own copy', async () => {
      const res = await app.gql(QUERY, {}, b.admin);
      const bList = res.data.interests as Array<{ id: string; slug: string }>;
      expect(bList.map((i) => i.slug)).toEqual([...idsA.keys()].sort());
      expect(bList.some((i) => [...idsA.values()].includes(i.id))).toBe(false);
    });

    it('re-seeding adds only missing slugs and never overwrites the office’s edits', async () => {
      const edited = await app.gql(
        `mutation { upsertInterest(slug: "gastronomy", labels: {fr: "Bonne chère", en: "Good food"},
           keywords: ["galette"], hashtags: ["Galettes"]) { id keywords } }`,
        {},
        b.admin,
      );
      expect(edited.errors).toBeUndefined();
      await dataSource.query('DELETE FROM interests WHERE destination_id = $1 AND slug = $2', [
        b.destination.id,
        'wellbeing',
      ]);

      const seeder = app.runtime.app.get(TaxonomySeeder);
      expect(await seeder.seed(b.destination.id)).toEqual(['wellbeing']);
      expect(await seeder.seed(b.destination.id)).toEqual([]);

      const res = await app.gql(QUERY, {}, b.admin);
      const byslug = new Map(
        (res.data.interests as Array<Record<string, any>>).map((i) => [i.slug, i]),
      );
      expect(byslug.get('gastronomy')).toMatchObject({
        id: edited.data.upsertInterest.id,
        fr: 'Bonne chère',
        en: 'Good food',
        keywords: ['galette'],
        hashtags: ['Galettes'],
      });
      expect(byslug.get('wellbeing')).toMatchObject({ fr: 'Bien-être', en: 'Wellbeing' });
      idsB = await interestIds(b.destination.id);
    });
  });

  describe('inference against the database', () => {
    it('finds hashtags, keywords and the interests of places mentioned, in the destination only', async () => {
      const place = await app.gql(
        `mutation { upsertPlace(name: "Les Champs Libres", kind: VENUE, twitterHandle: "ChampsLibresInf",
           interestSlugs: ["museums-arts", "family"]) { id } }`,
        {},
        a.admin,
      );
      expect(place.errors).toBeUndefined();
      const evidence = await interests.infer(a.destination.id, {
        text: 'Les musées et les marchés de Rennes, merci @champslibresinf ! #GaletteSaucisse',
      });
      const named = evidence.map((e) => [e.kind, slugOf(idsA, e.interestId), e.weight]);
      expect(named).toEqual([
        ['HASHTAG', 'gastronomy', 0.6],
        ['KEYWORD', 'museums-arts', 0.4],
        ['KEYWORD', 'shopping-markets', 0.4],
        ['PLACE', 'family', 0.8],
        ['PLACE', 'museums-arts', 0.8],
      ]);
      // B has no such place: the handle means nothing there; its own ids are answered.
      const inB = await interests.infer(b.destination.id, {
        placeHandles: ['ChampsLibresInf'],
        placeIds: [place.data.upsertPlace.id],
        text: 'musées',
      });
      expect(inB.map((e) => [e.kind, slugOf(idsB, e.interestId)])).toEqual([
        ['KEYWORD', 'museums-arts'],
      ]);
    });
  });

  describe('evidence → scores', () => {
    it('computes score, count, last time and sources from the formula', async () => {
      const visitor = await createVisitor(a.destination.id);
      const now = Date.now();
      const food = idsA.get('gastronomy')!;
      const heritage = idsA.get('heritage')!;
      const items: EvidenceItem[] = [
        {
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: food,
          kind: EvidenceKind.KEYWORD,
          sourceId: 'post-1',
          occurredAt: new Date(now - 10 * DAY),
        },
        {
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: food,
          kind: EvidenceKind.HASHTAG,
          sourceId: 'post-1',
          occurredAt: new Date(now - 10 * DAY),
        },
        {
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: food,
          kind: EvidenceKind.HASHTAG,
          sourceId: 'post-2',
          occurredAt: new Date(now - 200 * DAY),
        },
        {
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: food,
          kind: EvidenceKind.PLACE,
          weight: 1.5,
          sourceId: 'post-3',
          occurredAt: new Date(now - DAY),
        },
        {
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: heritage,
          kind: EvidenceKind.STAY,
          sourceId: 'stay-1',
          occurredAt: new Date(now - 3 * DAY),
        },
      ];
      await interests.recordEvidence(items);

      const expectedFood = [
        { weight: 0.4, occurredAt: new Date(now - 10 * DAY) },
        { weight: 0.6, occurredAt: new Date(now - 10 * DAY) },
        { weight: 0.6, occurredAt: new Date(now - 200 * DAY) },
        { weight: 1.5, occurredAt: new Date(now - DAY) },
      ];
      const foodRow = await expectScore(visitor, food, expectedFood);
      expect(foodRow.sources).toEqual(['HASHTAG', 'KEYWORD', 'PLACE']);
      const heritageRow = await expectScore(visitor, heritage, [
        { weight: 1.0, occurredAt: new Date(now - 3 * DAY) },
      ]);
      expect(heritageRow.sources).toEqual(['STAY']);
      expect(foodRow.score).toBeGreaterThan(heritageRow.score);

      // Through the API view (what Visitor.interests answers): best first, `top` honoured.
      const view = await interests.visitorInterests(new RequestLoaders(), visitor);
      expect(view).toHaveLength(2);
      expect(view[0]).toBeInstanceOf(VisitorInterestView);
      expect(view.map((v) => v.interest.slug)).toEqual(['gastronomy', 'heritage']);
      expect(view[0]).toEqual({
        interest: expect.objectContaining({ id: food, slug: 'gastronomy' }),
        score: foodRow.score,
        evidenceCount: 4,
        lastEvidenceAt: new Date(now - DAY),
        sources: [EvidenceKind.HASHTAG, EvidenceKind.KEYWORD, EvidenceKind.PLACE],
      });
      expect(
        (await interests.visitorInterests(new RequestLoaders(), visitor, 1)).map(
          (v) => v.interest.slug,
        ),
      ).toEqual(['gastronomy']);
      expect(await interests.visitorInterests(new RequestLoaders(), visitor, 0)).toEqual([]);
      await expect(
        interests.visitorInterests(new RequestLoaders(), visitor, -1),
      ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    });

    it('counts the same evidence once when it is recorded again (in the same batch or later)', async () => {
      const visitor = await createVisitor(a.destination.id);
      const art = idsA.get('museums-arts')!;
      const at = new Date(Date.now() - 5 * DAY);
      const item: EvidenceItem = {
        destinationId: a.destination.id,
        visitorId: visitor,
        interestId: art,
        kind: EvidenceKind.KEYWORD,
        sourceId: 'post-9',
        occurredAt: at,
      };
      await interests.recordEvidence([item, item, { ...item }]);
      const first = await expectScore(visitor, art, [{ weight: 0.4, occurredAt: at }]);
      await interests.recordEvidence([item]);
      const again = await expectScore(visitor, art, [{ weight: 0.4, occurredAt: at }]);
      expect(again.evidence_count).toBe(1);
      expect(again.score).toBeCloseTo(first.score, 6);
      expect(await evidenceOf(visitor)).toHaveLength(1);
    });

    it('batches visitorInterests over the visitors of one request', async () => {
      const v1 = await createVisitor(a.destination.id);
      const v2 = await createVisitor(a.destination.id);
      const v3 = await createVisitor(a.destination.id);
      const at = new Date();
      await interests.recordEvidence([
        {
          destinationId: a.destination.id,
          visitorId: v1,
          interestId: idsA.get('sport')!,
          kind: EvidenceKind.DECLARED,
          sourceId: 'declared',
          occurredAt: at,
        },
        {
          destinationId: a.destination.id,
          visitorId: v2,
          interestId: idsA.get('family')!,
          kind: EvidenceKind.KEYWORD,
          sourceId: 'p',
          occurredAt: at,
        },
      ]);
      const loaders = new RequestLoaders();
      const find = jest.spyOn(
        (scores as unknown as { scores: { find: (...args: unknown[]) => unknown } }).scores,
        'find',
      );
      const [r1, r2, r3] = await Promise.all([
        interests.visitorInterests(loaders, v1),
        interests.visitorInterests(loaders, v2, 5),
        interests.visitorInterests(loaders, v3),
      ]);
      expect(find).toHaveBeenCalledTimes(1);
      expect(r1.map((v) => [v.interest.slug, v.sources])).toEqual([['sport', ['DECLARED']]]);
      expect(r2.map((v) => [v.interest.slug, v.sources])).toEqual([['family', ['KEYWORD']]]);
      expect(r3).toEqual([]);
    });

    it('refuses evidence naming another destination’s interest or visitor, and writes nothing', async () => {
      const visitor = await createVisitor(a.destination.id);
      const good: EvidenceItem = {
        destinationId: a.destination.id,
        visitorId: visitor,
        interestId: idsA.get('sport')!,
        kind: EvidenceKind.KEYWORD,
        sourceId: 'p1',
        occurredAt: new Date(),
      };
      const foreignInterest = { ...good, interestId: idsB.get('sport')!, sourceId: 'p2' };
      await expect(interests.recordEvidence([good, foreignInterest])).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      const foreignVisitor = { ...good, visitorId: await createVisitor(b.destination.id) };
      await expect(interests.recordEvidence([foreignVisitor])).rejects.toBeInstanceOf(AppError);
      expect(await evidenceOf(visitor)).toEqual([]);
      expect(await scoreRow(visitor, idsA.get('sport')!)).toBeUndefined();
    });

    it('adds later evidence to a stored score as the formula says: time passed, a piece replaced, a piece from the future', async () => {
      const visitor = await createVisitor(a.destination.id);
      const food = idsA.get('gastronomy')!;
      const clock = app.runtime.app.get(Clock);
      const t0 = new Date(Date.now() - 100 * DAY);
      const piece = (sourceId: string, kind: EvidenceKind, occurredAt: Date, weight?: number) => ({
        destinationId: a.destination.id,
        visitorId: visitor,
        interestId: food,
        kind,
        sourceId,
        occurredAt,
        ...(weight === undefined ? {} : { weight }),
      });
      const now = jest.spyOn(clock, 'now');
      try {
        now.mockReturnValue(t0);
        await interests.recordEvidence([
          piece('p1', EvidenceKind.KEYWORD, new Date(t0.getTime() - DAY)),
        ]);
        // 40 days later, a new post: the stored score is brought forward, the new piece added.
        now.mockReturnValue(new Date(t0.getTime() + 40 * DAY));
        await interests.recordEvidence([
          piece('p2', EvidenceKind.HASHTAG, new Date(t0.getTime() + 39 * DAY)),
        ]);
        const evidence = [
          { weight: 0.4, occurredAt: new Date(t0.getTime() - DAY) },
          { weight: 0.6, occurredAt: new Date(t0.getTime() + 39 * DAY) },
        ];
        const row = await expectScore(visitor, food, evidence);
        expect(row.sources).toEqual(['HASHTAG', 'KEYWORD']);
        // The same piece again, heavier: replaced, not added.
        now.mockReturnValue(new Date(t0.getTime() + 50 * DAY));
        await interests.recordEvidence([
          piece('p2', EvidenceKind.HASHTAG, evidence[1].occurredAt, 1.2),
        ]);
        evidence[1].weight = 1.2;
        await expectScore(visitor, food, evidence);
        // A piece dated after now counts with its full weight until its time comes...
        const future = new Date(t0.getTime() + 60 * DAY);
        await interests.recordEvidence([piece('p3', EvidenceKind.PLACE, future)]);
        evidence.push({ weight: 0.8, occurredAt: future });
        await expectScore(visitor, food, evidence);
        // ... and still right once it has aged.
        now.mockReturnValue(new Date(t0.getTime() + 90 * DAY));
        await interests.recordEvidence([
          piece('p4', EvidenceKind.KEYWORD, new Date(t0.getTime() + 80 * DAY)),
        ]);
        evidence.push({ weight: 0.4, occurredAt: new Date(t0.getTime() + 80 * DAY) });
        const last = await expectScore(visitor, food, evidence);
        expect(last.sources).toEqual(['HASHTAG', 'KEYWORD', 'PLACE']);
      } finally {
        now.mockRestore();
      }
    });

    it('adds to the stored sum of a score that rounds to 1 (a prolific account), without reading its evidence again', async () => {
      const visitor = await createVisitor(a.destination.id);
      const food = idsA.get('gastronomy')!;
      const clock = app.runtime.app.get(Clock);
      const t0 = new Date(Date.now() - 400 * DAY);
      const sumOf = async () =>
        (
          (await dataSource.query(
            'SELECT evidence_sum FROM visitor_interests WHERE visitor_id = $1 AND interest_id = $2',
            [visitor, food],
          )) as { evidence_sum: number }[]
        )[0].evidence_sum;
      const now = jest.spyOn(clock, 'now');
      try {
        now.mockReturnValue(t0);
        // 80 hashtags: Σ = 48, the score is 1 to the last bit.
        const evidence = Array.from({ length: 80 }, (_, i) => ({
          weight: 0.6,
          occurredAt: new Date(t0.getTime() - i * 60_000),
        }));
        await interests.recordEvidence(
          evidence.map((e, i) => ({
            destinationId: a.destination.id,
            visitorId: visitor,
            interestId: food,
            kind: EvidenceKind.HASHTAG,
            sourceId: `prolific-${i}`,
            occurredAt: e.occurredAt,
          })),
        );
        expect((await scoreRow(visitor, food))!.score).toBe(1);
        expect(await sumOf()).toBeCloseTo(expectedSum(evidence, t0), 9);

        // The stored sum is what later evidence is added to: a piece removed behind the score's
        // back (as only the nightly refresh would notice) still counts in it.
        await dataSource.query(
          `DELETE FROM interest_evidence WHERE visitor_id = $1 AND source_id = 'prolific-0'`,
          [visitor],
        );
        const later = new Date(t0.getTime() + 10 * DAY);
        now.mockReturnValue(later);
        await interests.recordEvidence([
          {
            destinationId: a.destination.id,
            visitorId: visitor,
            interestId: food,
            kind: EvidenceKind.KEYWORD,
            sourceId: 'prolific-next',
            occurredAt: later,
          },
        ]);
        const withNext = [...evidence, { weight: 0.4, occurredAt: later }];
        expect(await sumOf()).toBeCloseTo(expectedSum(withNext, later), 9);

        // A year on, the nightly refresh recomputes from the evidence there is, and the score
        // comes back below 1 exactly as the formula says.
        const yearOn = new Date(later.getTime() + 365 * DAY);
        now.mockReturnValue(yearOn);
        await scores.refreshScores(a.destination.id, [visitor]);
        const kept = withNext.slice(1);
        expect(await sumOf()).toBeCloseTo(expectedSum(kept, yearOn), 9);
        const row = (await scoreRow(visitor, food))!;
        expect(row.score).toBeLessThan(1);
        expect(row.score).toBeCloseTo(expectedScore(kept, yearOn), 12);
      } finally {
        now.mockRestore();
      }
    });

    it('refuses them too when the caller took the score locks (the ingest), rolling its transaction back', async () => {
      const visitor = await createVisitor(a.destination.id);
      const good: EvidenceItem = {
        destinationId: a.destination.id,
        visitorId: visitor,
        interestId: idsA.get('sport')!,
        kind: EvidenceKind.KEYWORD,
        sourceId: 'p1',
        occurredAt: new Date(),
      };
      const foreignInterest = { ...good, interestId: idsB.get('sport')!, sourceId: 'p2' };
      const foreignVisitor = { ...good, visitorId: await createVisitor(b.destination.id) };
      for (const items of [
        [good, foreignInterest],
        [good, foreignVisitor],
      ]) {
        await expect(
          dataSource.transaction((m) => interests.recordEvidence(items, m, { scoresLocked: true })),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      }
      expect(await evidenceOf(visitor)).toEqual([]);
      expect(await scoreRow(visitor, idsA.get('sport')!)).toBeUndefined();
    });
  });

  describe('decay', () => {
    it('halves the weight of evidence one half-life old', async () => {
      const visitor = await createVisitor(a.destination.id);
      const nature = idsA.get('nature-outdoors')!;
      const old = new Date(Date.now() - HALF_LIFE_DAYS * DAY);
      const older = new Date(Date.now() - 4 * HALF_LIFE_DAYS * DAY);
      const ancient = new Date(Date.now() - 300 * 365 * DAY); // 2^-1200: would underflow in SQL
      await interests.recordEvidence(
        [old, older, ancient].map((occurredAt, i) => ({
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: nature,
          kind: EvidenceKind.STAY,
          sourceId: `stay-${i}`,
          occurredAt,
        })),
      );
      const row = await expectScore(visitor, nature, [
        { weight: 1, occurredAt: old },
        { weight: 1, occurredAt: older },
        { weight: 1, occurredAt: ancient },
      ]);
      // ≈ 1 − e^(−(0.5 + 0.0625 + 0)).
      expect(row.score).toBeCloseTo(1 - Math.exp(-0.5625), 5);

      // A huge sum saturates at 1 instead of failing on e^(−1000) underflow.
      await interests.recordEvidence([
        {
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: idsA.get('events')!,
          kind: EvidenceKind.DECLARED,
          weight: 1000,
          sourceId: 'declared',
          occurredAt: new Date(),
        },
      ]);
      expect((await scoreRow(visitor, idsA.get('events')!))!.score).toBe(1);
    });

    it('lowers scores as time passes, on the nightly refresh (the job), and follows the half-life setting', async () => {
      const visitor = await createVisitor(a.destination.id);
      const wine = idsA.get('wine-drinks')!;
      const at = new Date(Date.now() - DAY);
      await interests.recordEvidence([
        {
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: wine,
          kind: EvidenceKind.HASHTAG,
          sourceId: 'post-w',
          occurredAt: at,
        },
      ]);
      const fresh = await expectScore(visitor, wine, [{ weight: 0.6, occurredAt: at }]);

      // 180 days later, the nightly job of destination A recomputes every score of A.
      const clock = app.runtime.app.get(Clock);
      const later = new Date(at.getTime() + 2 * HALF_LIFE_DAYS * DAY);
      jest.spyOn(clock, 'now').mockReturnValue(later);
      const processor = app.runtime.app.get(InterestScoresProcessor);
      const result = await processor.process({
        name: InterestJob.REFRESH_DESTINATION,
        data: { destinationId: a.destination.id },
      } as Job);
      expect((result as { visitors: number }).visitors).toBeGreaterThanOrEqual(1);
      const decayed = await expectScore(visitor, wine, [{ weight: 0.6, occurredAt: at }]);
      expect(decayed.computed_at).toEqual(later);
      expect(decayed.score).toBeCloseTo(1 - Math.exp(-0.15), 10);
      expect(decayed.score).toBeLessThan(fresh.score);

      // Running it again changes nothing.
      await processor.process({
        name: InterestJob.REFRESH_DESTINATION,
        data: { destinationId: a.destination.id },
      } as Job);
      expect((await scoreRow(visitor, wine))!.score).toBe(decayed.score);

      // With a 30-day half-life (INTEREST_HALF_LIFE_DAYS=30), the same evidence weighs 2^-6.
      jest.spyOn(scores, 'halfLifeSeconds', 'get').mockReturnValue(30 * 86_400);
      await interests.refreshScores(a.destination.id, [visitor]);
      await expectScore(visitor, wine, [{ weight: 0.6, occurredAt: at }], 30);
      expect((await scoreRow(visitor, wine))!.score).toBeCloseTo(1 - Math.exp(-0.6 / 64), 10);
    });

    it('drops scores whose evidence is gone on refresh, and leaves other destinations alone', async () => {
      const visitor = await createVisitor(a.destination.id);
      const inB = await createVisitor(b.destination.id);
      const at = new Date();
      await interests.recordEvidence([
        {
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: idsA.get('cycling')!,
          kind: EvidenceKind.KEYWORD,
          sourceId: 'p',
          occurredAt: at,
        },
        {
          destinationId: b.destination.id,
          visitorId: inB,
          interestId: idsB.get('cycling')!,
          kind: EvidenceKind.KEYWORD,
          sourceId: 'p',
          occurredAt: at,
        },
      ]);
      const bBefore = await scoreRow(inB, idsB.get('cycling')!);
      await dataSource.query('DELETE FROM interest_evidence WHERE visitor_id = $1', [visitor]);
      expect(await scoreRow(visitor, idsA.get('cycling')!)).toBeDefined();

      const result = await interests.refreshScores(a.destination.id);
      expect(result.deleted).toBe(1);
      expect(await scoreRow(visitor, idsA.get('cycling')!)).toBeUndefined();
      expect(await scoreRow(inB, idsB.get('cycling')!)).toEqual(bBefore);
    });

    it('schedules the nightly refresh and fans it out per destination', async () => {
      const queue = app.runtime.app.get<Queue>(getQueueToken(QueueName.INTERESTS));
      const scheduler = await queue.getJobScheduler(InterestJob.REFRESH_ALL);
      expect(scheduler).toMatchObject({
        name: InterestJob.REFRESH_ALL,
        pattern: NIGHTLY_REFRESH_CRON,
        tz: 'UTC',
      });

      const processor = app.runtime.app.get(InterestScoresProcessor);
      const timestamp = Date.now();
      const fanOut = { name: InterestJob.REFRESH_ALL, timestamp } as Job;
      const destinations: { id: string }[] = await dataSource.query('SELECT id FROM destinations');
      expect(await processor.process(fanOut)).toEqual({ destinations: destinations.length });
      // Retried, it enqueues nothing twice (same job ids).
      await processor.process(fanOut);
      for (const { id } of destinations) {
        const job = await queue.getJob(`interests-refresh-${id}-${timestamp}`);
        expect(job?.data).toEqual({ destinationId: id });
        await waitFor(async () => (await job!.getState()) === 'completed');
      }
      const jobs = await queue.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed']);
      const ofThisRun = jobs.filter((j) => j.id?.endsWith(`-${timestamp}`));
      expect(ofThisRun.map((j) => j.data.destinationId).sort()).toEqual(
        destinations.map((d) => d.id).sort(),
      );
      expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
    });
  });

  describe('declared interests', () => {
    it('declaring replaces the declared set, keeps other evidence, and refuses unknown slugs', async () => {
      const visitor = await createVisitor(a.destination.id);
      const heritage = idsA.get('heritage')!;
      const family = idsA.get('family')!;
      const wellbeing = idsA.get('wellbeing')!;
      const postAt = new Date(Date.now() - 2 * DAY);
      await interests.recordEvidence([
        {
          destinationId: a.destination.id,
          visitorId: visitor,
          interestId: heritage,
          kind: EvidenceKind.KEYWORD,
          sourceId: 'post-h',
          occurredAt: postAt,
        },
      ]);

      const declared = await interests.declareInterests(authA, visitor, ['Heritage', 'family']);
      expect(declared.map((i) => i.slug).sort()).toEqual(['family', 'heritage']);
      const firstDeclared = (await evidenceOf(visitor)).filter((e) => e.kind === 'DECLARED');
      expect(firstDeclared.map((e) => [e.interest_id, e.source_id, e.weight]).sort()).toEqual(
        [
          [heritage, 'declared', DEFAULT_EVIDENCE_WEIGHTS.DECLARED],
          [family, 'declared', 2],
        ].sort(),
      );
      const familyAt = firstDeclared.find((e) => e.interest_id === family)!.occurred_at;
      const heritageRow = await expectScore(visitor, heritage, [
        { weight: 0.4, occurredAt: postAt },
        {
          weight: 2,
          occurredAt: firstDeclared.find((e) => e.interest_id === heritage)!.occurred_at,
        },
      ]);
      expect(heritageRow.sources).toEqual(['DECLARED', 'KEYWORD']);
      await expectScore(visitor, family, [{ weight: 2, occurredAt: familyAt }]);

      // Replace: heritage is no longer declared (its post stays), wellbeing is; family keeps its date.
      await interests.declareInterests(authA, visitor, ['family', 'wellbeing']);
      const second = (await evidenceOf(visitor)).filter((e) => e.kind === 'DECLARED');
      expect(second.map((e) => e.interest_id).sort()).toEqual([family, wellbeing].sort());
      expect(second.find((e) => e.interest_id === family)!.occurred_at).toEqual(familyAt);
      const after = await expectScore(visitor, heritage, [{ weight: 0.4, occurredAt: postAt }]);
      expect(after.sources).toEqual(['KEYWORD']);
      expect(await scoreRow(visitor, wellbeing)).toBeDefined();

      // Unknown slugs: BAD_USER_INPUT naming them, nothing changed.
      const before = await evidenceOf(visitor);
      const error = await interests
        .declareInterests(authA, visitor, ['family', 'opera', 'skiing'])
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'BAD_USER_INPUT',
        details: { field: 'declaredInterests' },
      });
      expect((error as Error).message).toContain('opera');
      expect((error as Error).message).toContain('skiing');
      expect((error as Error).message).not.toContain('family');
      expect(await evidenceOf(visitor)).toEqual(before);

      // A slug of another destination is unknown here.
      await dataSource.query(
        "INSERT INTO interests (destination_id, slug) VALUES ($1, 'only-in-b')",
        [b.destination.id],
      );
      await expect(interests.declareInterests(authA, visitor, ['only-in-b'])).rejects.toMatchObject(
        { code: 'BAD_USER_INPUT' },
      );

      // An empty list clears the declared set; the scores follow.
      await interests.declareInterests(authA, visitor, []);
      expect((await evidenceOf(visitor)).map((e) => e.kind)).toEqual(['KEYWORD']);
      expect(await scoreRow(visitor, family)).toBeUndefined();
      expect(await scoreRow(visitor, wellbeing)).toBeUndefined();
    });

    it('joins the caller’s transaction, and answers NOT_FOUND for another destination’s visitor', async () => {
      const visitor = await createVisitor(a.destination.id);
      await expect(
        dataSource.transaction(async (manager) => {
          await interests.declareInterests(authA, visitor, ['sport'], manager);
          expect(
            await manager.query(
              'SELECT count(*)::int AS n FROM interest_evidence WHERE visitor_id = $1',
              [visitor],
            ),
          ).toEqual([{ n: 1 }]);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(await evidenceOf(visitor)).toEqual([]);
      expect(await scoreRow(visitor, idsA.get('sport')!)).toBeUndefined();

      const inB = await createVisitor(b.destination.id);
      await expect(interests.declareInterests(authA, inB, ['sport'])).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await evidenceOf(inB)).toEqual([]);
    });
  });

  describe('moveEvidence (merges)', () => {
    it('moves every piece to the kept visitor, keeping the larger weight on a shared source', async () => {
      const keep = await createVisitor(a.destination.id);
      const merged = await createVisitor(a.destination.id);
      const food = idsA.get('gastronomy')!;
      const arts = idsA.get('museums-arts')!;
      const t1 = new Date(Date.now() - 30 * DAY);
      const t2 = new Date(Date.now() - 5 * DAY);
      const ev = (
        visitorId: string,
        interestId: string,
        kind: EvidenceKind,
        sourceId: string,
        occurredAt: Date,
        weight?: number,
      ): EvidenceItem => ({
        destinationId: a.destination.id,
        visitorId,
        interestId,
        kind,
        sourceId,
        occurredAt,
        weight,
      });
      await interests.recordEvidence([
        ev(keep, food, EvidenceKind.KEYWORD, 'shared-post', t1, 0.9),
        ev(keep, food, EvidenceKind.PLACE, 'post-k', t1),
        ev(merged, food, EvidenceKind.KEYWORD, 'shared-post', t2, 0.4),
        ev(merged, arts, EvidenceKind.HASHTAG, 'post-m', t2),
      ]);
      await interests.declareInterests(authA, keep, ['gastronomy']);
      await interests.declareInterests(authA, merged, ['gastronomy', 'museums-arts']);
      const declaredAt = (visitorId: string, interestId: string) =>
        evidenceOf(visitorId).then(
          (rows) =>
            rows.find((r) => r.kind === 'DECLARED' && r.interest_id === interestId)!.occurred_at,
        );
      const keepDeclaredFood = await declaredAt(keep, food);
      const mergedDeclaredFood = await declaredAt(merged, food);
      const mergedDeclaredArts = await declaredAt(merged, arts);

      await dataSource.transaction((manager) => interests.moveEvidence(manager, merged, keep));

      expect(await evidenceOf(merged)).toEqual([]);
      const moved = await evidenceOf(keep);
      expect(moved.map((e) => [e.interest_id, e.kind, e.source_id, e.weight])).toEqual(
        [
          [food, 'DECLARED', 'declared', 2],
          [food, 'KEYWORD', 'shared-post', 0.9],
          [food, 'PLACE', 'post-k', 0.8],
          [arts, 'DECLARED', 'declared', 2],
          [arts, 'HASHTAG', 'post-m', 0.6],
        ].sort((x, y) => `${x[0]}${x[1]}`.localeCompare(`${y[0]}${y[1]}`)),
      );
      const latestDeclaredFood =
        keepDeclaredFood > mergedDeclaredFood ? keepDeclaredFood : mergedDeclaredFood;
      expect(moved.find((e) => e.kind === 'KEYWORD')!.occurred_at).toEqual(t2);

      const foodRow = await expectScore(keep, food, [
        { weight: 2, occurredAt: latestDeclaredFood },
        { weight: 0.9, occurredAt: t2 },
        { weight: 0.8, occurredAt: t1 },
      ]);
      expect(foodRow.sources).toEqual(['DECLARED', 'KEYWORD', 'PLACE']);
      await expectScore(keep, arts, [
        { weight: 2, occurredAt: mergedDeclaredArts },
        { weight: 0.6, occurredAt: t2 },
      ]);
      const left: unknown[] = await dataSource.query(
        'SELECT 1 FROM visitor_interests WHERE visitor_id = $1',
        [merged],
      );
      expect(left).toEqual([]);
    });

    it('refuses moving to the same visitor or across destinations', async () => {
      const keep = await createVisitor(a.destination.id);
      const inB = await createVisitor(b.destination.id);
      await expect(
        dataSource.transaction((m) => interests.moveEvidence(m, keep, keep)),
      ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(
        dataSource.transaction((m) => interests.moveEvidence(m, inB, keep)),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('configuration', () => {
    it('reads INTEREST_HALF_LIFE_DAYS (default 90) and refuses a non-positive value by name', () => {
      expect(loadConfig({}).interestHalfLifeDays).toBe(90);
      expect(loadConfig({ INTEREST_HALF_LIFE_DAYS: '30' }).interestHalfLifeDays).toBe(30);
      expect(loadConfig({ INTEREST_HALF_LIFE_DAYS: '' }).interestHalfLifeDays).toBe(90);
      for (const bad of ['0', '-5', 'soon']) {
        let error: unknown;
        try {
          loadConfig({ INTEREST_HALF_LIFE_DAYS: bad });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([
          'INTEREST_HALF_LIFE_DAYS',
        ]);
      }
      expect(scores.halfLifeSeconds).toBe(HALF_LIFE_DAYS * 86_400);
    });
  });
});

function slugOf(ids: Map<string, string>, id: string): string | undefined {
  return [...ids].find(([, v]) => v === id)?.[0];
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out');
}
