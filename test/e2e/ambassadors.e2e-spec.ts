import { getQueueToken } from '@nestjs/bullmq';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Job, Queue } from 'bullmq';
import { createClient, type Client } from 'graphql-ws';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { QueueName } from '../../src/infra/queue/queue.constants.js';
import { Role } from '../../src/modules/access/user.entity.js';
import {
  AmbassadorEvents,
  type AmbassadorPromotedEvent,
  type AmbassadorPromotion,
} from '../../src/modules/ambassadors/ambassador.events.js';
import { AmbassadorScoresService } from '../../src/modules/ambassadors/ambassador-scores.service.js';
import {
  AmbassadorJob,
  AmbassadorScoresProcessor,
  NIGHTLY_RECOMPUTE_CRON,
  recomputeDedupId,
} from '../../src/modules/ambassadors/jobs/ambassador-scores.job.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;

const DAY = 86_400_000;
const RECOMPUTE = 'mutation { recomputeAmbassadorScores }';
const SCORE = `query($id: ID!) { visitor(id: $id) { id ambassador {
  score tier rank computedAt
  components { reach ratio amplification engagement activity sentiment recency } } } }`;

describe('ambassadors (e2e)', () => {
  let app: TestApp;
  let a: Seeded;
  let b: Seeded;
  let db: DataSource;
  let queue: Queue;
  const promoted: (AmbassadorPromotion & { destinationId: string })[] = [];
  const clients: Client[] = [];
  let wsUrl: string;

  let seq = 0;
  async function visitor(destinationId: string, name: string): Promise<string> {
    const [row]: { id: string }[] = await db.query(
      'INSERT INTO visitors (destination_id, first_name) VALUES ($1, $2) RETURNING id',
      [destinationId, name],
    );
    return row.id;
  }
  async function identity(
    destinationId: string,
    visitorId: string | null,
    handle: string,
    followers: number | null,
    following: number | null,
  ): Promise<string> {
    const [row]: { id: string }[] = await db.query(
      `INSERT INTO social_identities (destination_id, visitor_id, provider, external_id, handle,
                                      followers_count, following_count)
       VALUES ($1, $2, 'TWITTER', $3, $4, $5, $6) RETURNING id`,
      [destinationId, visitorId, `x-${handle}`, handle, followers, following],
    );
    return row.id;
  }
  interface Post {
    kind?: string;
    at: Date;
    likes?: number;
    shares?: number;
    replies?: number;
    quotes?: number;
    sentiment?: number | null;
    ref?: string;
    externalId?: string;
  }
  async function interaction(
    destinationId: string,
    author: { identityId: string; visitorId: string | null },
    p: Post,
  ): Promise<{ id: string; externalId: string }> {
    const externalId = p.externalId ?? `t${++seq}`;
    const [row]: { id: string }[] = await db.query(
      `INSERT INTO interactions (destination_id, provider, external_id, kind, occurred_at,
                                 author_identity_id, visitor_id, likes, shares, replies, quotes,
                                 sentiment, referenced_external_id)
       VALUES ($1, 'TWITTER', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
      [
        destinationId,
        externalId,
        p.kind ?? 'POST',
        p.at,
        author.identityId,
        author.visitorId,
        p.likes ?? 0,
        p.shares ?? 0,
        p.replies ?? 0,
        p.quotes ?? 0,
        p.sentiment ?? null,
        p.ref ?? null,
      ],
    );
    return { id: row.id, externalId };
  }

  beforeAll(async () => {
    app = await startTestApp();
    a = await seedDestination(app, 'Ambassadors A');
    b = await seedDestination(app, 'Ambassadors B');
    db = app.runtime.app.get(DataSource);
    queue = app.runtime.app.get<Queue>(getQueueToken(QueueName.AMBASSADORS));
    app.runtime.app
      .get(EventEmitter2)
      .on(AmbassadorEvents.PROMOTED, (e: AmbassadorPromotedEvent) =>
        promoted.push(...e.promotions.map((p) => ({ ...p, destinationId: e.destinationId }))),
      );
    await app.runtime.app.listen(0, '127.0.0.1');
    const { port } = app.runtime.app.getHttpServer().address() as { port: number };
    wsUrl = `ws://127.0.0.1:${port}/graphql`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await app?.stop();
  });

  describe('scores of a small population, computed by hand', () => {
    const now = Date.now();
    const ago = (days: number) => new Date(now - days * DAY);
    const v: Record<string, { visitorId: string; identityId: string }> = {};
    let p2: string;
    let startedAt: Date;

    /*
     * Six visitors active in the 90-day window (V6 posted 200 days ago only: not active).
     *
     *        followers following | posts in window (likes/shares/replies/quotes, sentiment, days ago)
     *   V1   1000      100       | p1 10/4/1/1 0.5 2d; p2 0/0/0/0 0.8 10d; p3 MENTION 0 null 20d
     *   V2    500     1000       | QUOTE 3/1/0/0 -0.5 1d
     *   V3     50       10       | 4 × 1/0/0/0 0.2 at 5, 6, 7, 8d
     *   V4     10       10       | 2 × 0 0.0 at 30, 40d
     *   V5   2000      100       | 100/20/5/5 0.9 60d
     *   V7    100       50       | no post: RETWEETs p1 and p2, LIKEs p2
     *
     * Received per post = max(public metric, interactions referencing it): p1 shares max(4, 1) = 4,
     * p2 likes max(0, 1) = 1 and shares max(0, 1) = 1.
     */
    beforeAll(async () => {
      const d = a.destination.id;
      const people: [string, number, number][] = [
        ['V1', 1000, 100],
        ['V2', 500, 1000],
        ['V3', 50, 10],
        ['V4', 10, 10],
        ['V5', 2000, 100],
        ['V6', 5000, 10],
        ['V7', 100, 50],
      ];
      for (const [name, followers, following] of people) {
        const visitorId = await visitor(d, name);
        const identityId = await identity(d, visitorId, name.toLowerCase(), followers, following);
        v[name] = { visitorId, identityId };
      }
      const p1 = await interaction(d, v.V1, {
        at: ago(2),
        likes: 10,
        shares: 4,
        replies: 1,
        quotes: 1,
        sentiment: 0.5,
      });
      p2 = (await interaction(d, v.V1, { at: ago(10), sentiment: 0.8 })).externalId;
      await interaction(d, v.V1, { kind: 'MENTION', at: ago(20) });
      await interaction(d, v.V2, {
        kind: 'QUOTE',
        at: ago(1),
        likes: 3,
        shares: 1,
        sentiment: -0.5,
      });
      for (const days of [5, 6, 7, 8])
        await interaction(d, v.V3, { at: ago(days), likes: 1, sentiment: 0.2 });
      for (const days of [30, 40]) await interaction(d, v.V4, { at: ago(days), sentiment: 0 });
      await interaction(d, v.V5, {
        at: ago(60),
        likes: 100,
        shares: 20,
        replies: 5,
        quotes: 5,
        sentiment: 0.9,
      });
      await interaction(d, v.V6, { at: ago(200), likes: 500, shares: 100, sentiment: 1 });
      await interaction(d, v.V7, { kind: 'RETWEET', at: ago(1), ref: p1.externalId });
      await interaction(d, v.V7, { kind: 'RETWEET', at: ago(1), ref: p2 });
      await interaction(d, v.V7, { kind: 'LIKE', at: ago(1), ref: p2 });
      // Another destination's data never counts here.
      const other = await visitor(b.destination.id, 'elsewhere');
      const otherId = await identity(b.destination.id, other, 'v1', 9, 9);
      await interaction(
        b.destination.id,
        { identityId: otherId, visitorId: other },
        {
          kind: 'RETWEET',
          at: ago(1),
          ref: p1.externalId,
        },
      );
      startedAt = new Date();
    });

    it('computes components (percentile ranks), score, tier and rank', async () => {
      expect(await app.ok(RECOMPUTE, {}, a.admin)).toEqual({ recomputeAmbassadorScores: true });
      const sixth = (n: number) => n / 6;
      /*
       * Percentile rank = share of the 6 active visitors at or below the value; no data or 0 is 0.
       *   reach (followers):  V4 10, V3 50, V7 100, V2 500, V1 1000, V5 2000      → 1..6 sixths
       *   ratio (capped 10):  V2 .5, V4 1, V7 2, V3 5, V1 10, V5 10 (cap)         → 1,2,3,4,6,6
       *   amplification:      V3, V4, V7 0; V2 1; V1 4+1 + 1 = 6; V5 25           → 0,0,0,4,5,6
       *   engagement:         V4, V7 0; V1 18/3/1000 = .006; V2 4/1/500 = .008;
       *                       V3 4/4/50 = .02; V5 130/1/2000 = .065                → 0,0,3,4,5,6
       *   activity (posts):   V7 0; V2 1, V5 1; V4 2; V1 3; V3 4                  → 0,3,3,4,5,6
       *   sentiment (mean):   V7 none (first); V2 -.5; V4 0; V3 .2; V1 .65; V5 .9 → 0,2,3,4,5,6
       *   recency (days):     V7 none; V5 60; V4 30; V3 5; V1 2; V2 1             → 0,2,3,4,5,6
       * Score = 100 × (.15 reach + .10 ratio + .20 amplification + .15 engagement + .20 activity
       *                + .10 sentiment + .10 recency), to 2 decimals; components are kept to 4.
       */
      const expected: Record<string, { c: number[]; score: number; tier: string; rank: number }> = {
        V5: { c: [6, 6, 6, 6, 3, 6, 2], score: 83.33, tier: 'ADVOCATE', rank: 1 }, // 1 post < 3
        V1: { c: [5, 6, 5, 3, 5, 5, 5], score: 80, tier: 'AMBASSADOR', rank: 2 },
        V2: { c: [4, 1, 4, 4, 3, 2, 6], score: 58.33, tier: 'ADVOCATE', rank: 3 },
        V3: { c: [2, 4, 0, 5, 6, 4, 4], score: 57.5, tier: 'ADVOCATE', rank: 4 },
        V4: { c: [1, 2, 0, 0, 4, 3, 3], score: 29.17, tier: 'FAN', rank: 5 },
        V7: { c: [3, 3, 0, 0, 0, 0, 0], score: 12.5, tier: 'NONE', rank: 6 },
      };
      const weights = [0.15, 0.1, 0.2, 0.15, 0.2, 0.1, 0.1];
      for (const [name, e] of Object.entries(expected)) {
        // The hand-written scores above agree with the weights.
        expect(100 * e.c.reduce((s, c, i) => s + weights[i] * sixth(c), 0)).toBeCloseTo(e.score, 2);
        const { visitor: got } = await app.ok(SCORE, { id: v[name].visitorId }, a.admin);
        const keys = [
          'reach',
          'ratio',
          'amplification',
          'engagement',
          'activity',
          'sentiment',
          'recency',
        ];
        keys.forEach((k, i) =>
          expect([name, k, got.ambassador.components[k]]).toEqual([
            name,
            k,
            // Components are stored to 4 decimals (the score from the exact values).
            expect.closeTo(Math.round(sixth(e.c[i]) * 1e4) / 1e4, 9),
          ]),
        );
        expect([name, got.ambassador.score]).toEqual([name, expect.closeTo(e.score, 4)]);
        expect([name, got.ambassador.tier, got.ambassador.rank]).toEqual([name, e.tier, e.rank]);
        expect(new Date(got.ambassador.computedAt).getTime()).toBeGreaterThanOrEqual(
          startedAt.getTime(),
        );
      }
      // Never active in the window: no score.
      const { visitor: v6 } = await app.ok(SCORE, { id: v.V6.visitorId }, a.admin);
      expect(v6.ambassador).toMatchObject({ score: 0, tier: 'NONE', rank: null, computedAt: null });
      expect(promoted.map((p) => [p.visitorId, p.fromTier, p.score])).toEqual([
        [v.V1.visitorId, 'NONE', 80],
      ]);
    });

    it('a second recompute over the same data stores and emits nothing', async () => {
      const scores = app.runtime.app.get(AmbassadorScoresService);
      const [{ n: before }]: { n: number }[] = await db.query(
        'SELECT count(*)::int AS n FROM ambassador_changes',
      );
      const report = await scores.recompute(a.destination.id);
      expect(report).toMatchObject({ scored: 6, updated: 0, changes: 0, promotions: 0 });
      const [{ n: after }]: { n: number }[] = await db.query(
        'SELECT count(*)::int AS n FROM ambassador_changes',
      );
      expect(after).toBe(before);
      expect(promoted).toHaveLength(1);
    });

    it('the leaderboard pages best first, from a tier up', async () => {
      const q = `query($min: AmbassadorTier, $first: Int, $after: String) {
        ambassadors(minTier: $min, first: $first, after: $after) {
          totalCount edges { node { firstName ambassador { score tier rank } } }
          pageInfo { hasNextPage endCursor } } }`;
      const p1 = await app.ok(q, { min: 'ADVOCATE', first: 2 }, a.admin);
      expect(p1.ambassadors.totalCount).toBe(4);
      expect(p1.ambassadors.edges.map((e: any) => e.node.firstName)).toEqual(['V5', 'V1']);
      expect(p1.ambassadors.pageInfo.hasNextPage).toBe(true);
      const p2 = await app.ok(
        q,
        { min: 'ADVOCATE', first: 2, after: p1.ambassadors.pageInfo.endCursor },
        a.admin,
      );
      expect(p2.ambassadors.edges.map((e: any) => e.node.firstName)).toEqual(['V2', 'V3']);
      expect(p2.ambassadors.pageInfo.hasNextPage).toBe(false);
      const all = await app.ok(q, {}, a.admin);
      expect(all.ambassadors.edges.map((e: any) => e.node.firstName)).toEqual([
        'V5',
        'V1',
        'V2',
        'V3',
        'V4',
        'V7',
      ]);
      // Another destination sees none of them.
      expect((await app.ok(q, {}, b.admin)).ambassadors.totalCount).toBe(0);
      const bad = await app.fails(q, { after: 'nonsense' }, a.admin);
      expect(bad.extensions.code).toBe('BAD_USER_INPUT');
    });

    it('segments filter on the stored tiers and scores (no score = NONE / 0)', async () => {
      const q = `query($f: SegmentFilterInput) { visitors(filter: $f, first: 50) {
        totalCount edges { node { firstName } } } }`;
      const names = async (f: unknown) =>
        (await app.ok(q, { f }, a.admin)).visitors.edges.map((e: any) => e.node.firstName).sort();
      expect(await names({ ambassadorTiers: ['AMBASSADOR'] })).toEqual(['V1']);
      expect(await names({ ambassadorTiers: ['ADVOCATE'] })).toEqual(['V2', 'V3', 'V5']);
      expect(await names({ minAmbassadorScore: 57.5 })).toEqual(['V1', 'V2', 'V3', 'V5']);
      expect(await names({ ambassadorTiers: ['NONE'] })).toEqual(['V6', 'V7']);
    });

    it('stores each tier change; a promotion is emitted once and published to subscribers', async () => {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: a.admin.authorization },
        retryAttempts: 0,
      });
      clients.push(client);
      const otherClient = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: b.admin.authorization },
        retryAttempts: 0,
      });
      clients.push(otherClient);
      const received: any[] = [];
      const elsewhere: any[] = [];
      const query = 'subscription { ambassadorPromoted { from to at visitor { firstName } } }';
      const subscribed = new Promise<void>((resolve) => {
        client.on('connected', () => resolve());
      });
      client.subscribe(
        { query },
        { next: (m) => received.push(m), error: (e) => received.push(e), complete: () => {} },
      );
      otherClient.subscribe(
        { query },
        { next: (m) => elsewhere.push(m), error: (e) => elsewhere.push(e), complete: () => {} },
      );
      await subscribed;
      await new Promise((r) => setTimeout(r, 500)); // the subscribe message follows connected

      // V5 posts twice more (70 days ago): 3 posts. Activity: V7 0; V2 1; V4 2; V1, V5 3; V3 4 →
      // 0, 2, 3, 5, 5, 6 sixths; engagement V5 130/3/2000 = .0217 still the highest.
      // V5 = 100 × (.15 + .10 + .20 + .15 + .20 × 5/6 + .10 + .10 × 2/6) = 90 → AMBASSADOR.
      // V2 loses 1/6 of activity: 58.3333 − 3.3333 = 55 (ADVOCATE); V4 29.1667 − 3.3333 = 25.83.
      for (let i = 0; i < 2; i++)
        await interaction(a.destination.id, v.V5, { at: ago(70), sentiment: 0.9 });
      const report = await app.runtime.app.get(AmbassadorScoresService).recompute(a.destination.id);
      expect(report).toMatchObject({ changes: 1, promotions: 1 });
      const again = await app.runtime.app.get(AmbassadorScoresService).recompute(a.destination.id);
      expect(again).toMatchObject({ updated: 0, changes: 0, promotions: 0 });

      const { visitor: v5 } = await app.ok(SCORE, { id: v.V5.visitorId }, a.admin);
      expect(v5.ambassador).toMatchObject({ tier: 'AMBASSADOR', rank: 1 });
      expect(v5.ambassador.score).toBeCloseTo(90, 4);
      const { visitor: v2 } = await app.ok(SCORE, { id: v.V2.visitorId }, a.admin);
      expect(v2.ambassador).toMatchObject({ tier: 'ADVOCATE', rank: 4 });
      expect(v2.ambassador.score).toBeCloseTo(55, 4);
      const { visitor: v4 } = await app.ok(SCORE, { id: v.V4.visitorId }, a.admin);
      expect(v4.ambassador.score).toBeCloseTo(25.83, 4);

      expect(promoted.map((p) => [p.visitorId, p.fromTier])).toEqual([
        [v.V1.visitorId, 'NONE'],
        [v.V5.visitorId, 'ADVOCATE'],
      ]);
      const [stored]: { id: string }[] = await db.query(
        "SELECT id FROM ambassador_changes WHERE visitor_id = $1 AND to_tier = 'AMBASSADOR'",
        [v.V5.visitorId],
      );
      expect(promoted[1].changeId).toBe(stored.id);

      for (let i = 0; i < 50 && !received.length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(received).toHaveLength(1);
      expect(received[0].data.ambassadorPromoted).toMatchObject({
        from: 'ADVOCATE',
        to: 'AMBASSADOR',
        visitor: { firstName: 'V5' },
      });
      expect(elsewhere).toEqual([]);
    });

    it('ambassadorChanges lists the history since a time', async () => {
      const q =
        'query($since: DateTime!) { ambassadorChanges(since: $since) { from to at visitor { firstName } } }';
      const { ambassadorChanges: all } = await app.ok(
        q,
        { since: new Date(now - DAY).toISOString() },
        a.admin,
      );
      const first = all
        .slice(0, 5)
        .map((c: any) => [c.visitor.firstName, c.from, c.to])
        .sort();
      expect(first).toEqual([
        ['V1', 'NONE', 'AMBASSADOR'],
        ['V2', 'NONE', 'ADVOCATE'],
        ['V3', 'NONE', 'ADVOCATE'],
        ['V4', 'NONE', 'FAN'],
        ['V5', 'NONE', 'ADVOCATE'],
      ]);
      expect(all[5]).toMatchObject({
        visitor: { firstName: 'V5' },
        from: 'ADVOCATE',
        to: 'AMBASSADOR',
      });
      expect(all).toHaveLength(6);
      const { ambassadorChanges: recent } = await app.ok(q, { since: all[5].at }, a.admin);
      expect(recent.map((c: any) => c.visitor.firstName)).toEqual(['V5']);
      expect(
        (await app.ok(q, { since: new Date(0).toISOString() }, b.admin)).ambassadorChanges,
      ).toEqual([]);
    });

    it('a visitor no longer active drops to NONE, and that is a change too', async () => {
      await db.query(
        "UPDATE interactions SET occurred_at = occurred_at - interval '365 days' WHERE visitor_id = $1",
        [v.V4.visitorId],
      );
      const report = await app.runtime.app.get(AmbassadorScoresService).recompute(a.destination.id);
      expect(report.changes).toBeGreaterThanOrEqual(1);
      const { visitor: v4 } = await app.ok(SCORE, { id: v.V4.visitorId }, a.admin);
      expect(v4.ambassador).toMatchObject({ score: 0, tier: 'NONE', rank: null });
      const [change]: { from_tier: string; to_tier: string }[] = await db.query(
        'SELECT from_tier, to_tier FROM ambassador_changes WHERE visitor_id = $1 ORDER BY at DESC LIMIT 1',
        [v.V4.visitorId],
      );
      expect(change).toEqual({ from_tier: 'FAN', to_tier: 'NONE' });
    });

    it('the GDPR export carries the history; erasure removes score and history', async () => {
      const exported = await app.ok(
        'query($id: ID!) { exportVisitorData(id: $id) }',
        { id: v.V5.visitorId },
        a.admin,
      );
      const section = exported.exportVisitorData.ambassador;
      expect(section.score).toMatchObject({ tier: 'AMBASSADOR', posts: 3 });
      expect(section.history.map((h: any) => [h.from, h.to])).toEqual([
        ['NONE', 'ADVOCATE'],
        ['ADVOCATE', 'AMBASSADOR'],
      ]);
      await app.ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: v.V5.visitorId }, a.admin);
      const rows: unknown[] = await db.query(
        `SELECT 1 FROM ambassador_scores WHERE visitor_id = $1
         UNION ALL SELECT 1 FROM ambassador_changes WHERE visitor_id = $1`,
        [v.V5.visitorId],
      );
      expect(rows).toEqual([]);
    });

    it('a merge moves the history to the kept visitor', async () => {
      await app.ok(
        'mutation($k: ID!, $m: ID!) { mergeVisitors(keepId: $k, mergeId: $m) { id } }',
        { k: v.V7.visitorId, m: v.V2.visitorId },
        a.admin,
      );
      const rows: { to_tier: string }[] = await db.query(
        'SELECT to_tier FROM ambassador_changes WHERE visitor_id = $1',
        [v.V7.visitorId],
      );
      expect(rows.map((r) => r.to_tier)).toEqual(['ADVOCATE']);
    });

    it('only ADMIN and MARKETER recompute; analysts read', async () => {
      const analyst = await a.as(Role.ANALYST);
      expect((await app.fails(RECOMPUTE, {}, analyst)).extensions.code).toBe('FORBIDDEN');
      expect((await app.fails(RECOMPUTE, {}, {})).extensions.code).toBe('UNAUTHENTICATED');
      const marketer = await a.as(Role.MARKETER);
      expect(await app.ok(RECOMPUTE, {}, marketer)).toEqual({ recomputeAmbassadorScores: true });
      await app.ok('{ ambassadors(first: 1) { totalCount } }', {}, analyst);
    });
  });

  describe('jobs', () => {
    it('an ingestion batch schedules one recompute a minute later, per destination', async () => {
      const items = (n: number) =>
        Array.from({ length: n }, (_, i) => ({
          provider: 'TWITTER',
          externalId: `ingest-${Date.now()}-${i}`,
          kind: 'POST',
          authorExternalId: 'fan-1',
          authorHandle: 'fan_one',
          text: 'Rennes',
          occurredAt: new Date().toISOString(),
        }));
      const ingest =
        'mutation($items: [InteractionInput!]!) { ingestInteractions(items: $items) { created } }';
      await app.ok(ingest, { items: items(2) }, b.admin);
      await app.ok(ingest, { items: items(3) }, b.admin);
      const delayed = (await queue.getDelayed()).filter(
        (j) => j.data.destinationId === b.destination.id,
      );
      expect(delayed).toHaveLength(1);
      expect(delayed[0].name).toBe(AmbassadorJob.RECOMPUTE_DESTINATION);
      expect(delayed[0].opts.delay).toBe(60_000);
      expect(delayed[0].opts.deduplication?.id).toBe(recomputeDedupId(b.destination.id));
    });

    it('a nightly scheduler fans out one recompute per destination', async () => {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.pattern])).toContainEqual([
        AmbassadorJob.RECOMPUTE_ALL,
        NIGHTLY_RECOMPUTE_CRON,
      ]);
      const processor = app.runtime.app.get(AmbassadorScoresProcessor);
      const result = await processor.process({
        name: AmbassadorJob.RECOMPUTE_ALL,
        timestamp: 42,
      } as Job);
      expect(result).toEqual({ destinations: expect.any(Number) });
      for (const d of [a.destination.id, b.destination.id]) {
        expect(await queue.getJob(`ambassadors-nightly-${d}-42`)).toBeDefined();
      }
    });
  });

  describe('the Social Derby', () => {
    const april = (day: number, hour = 12) => new Date(Date.UTC(2026, 3, day, hour));
    const FROM = april(1, 0).toISOString();
    const TO = new Date(Date.UTC(2026, 4, 1)).toISOString();
    const DERBY = `query($input: DerbyInput!) { derby(input: $input) {
      from to
      standings { handle followers following posts shares engagementRate bestPost { externalId } }
      awards { trophy handle value post { externalId } } } }`;

    /*
     * April 2026, three accounts of the destination and a fan:
     *   ChapitreRue   metrics 20 Mar 900/300, 25 Apr 1200/300, 10 May 5000/300 (after: ignored)
     *                 posts a1 5 Apr 20/10/2/1, a2 20 Apr 5/3/0/0 (likes/shares/replies/quotes);
     *                 a0 31 Mar and a3 2 May (50 and 100 shares) are outside the period
     *   PlaceDesLices metrics 10 Apr 1200/100; post b1 8 Apr 10/2/0/0 retweeted 15 times by the
     *                 fan (shares = max(2, 15) = 15)
     *   RueVasselot   metrics only on 5 May 300/600 (the nearest known); post c1 15 Apr 100/1/10/0
     *
     *   followers: 1200, 1200 (tie: ChapitreRue sorts first), 300
     *   ratio:     4, 12, 0.5
     *   most shared post: b1 15 > a1 10
     *   engagement: A (33 + 8) / 2 / 1200 = .01708; B 25 / 1 / 1200 = .02083; C 111 / 1 / 300 = .37
     */
    beforeAll(async () => {
      const d = a.destination.id;
      const metric = async (id: string, at: Date, followers: number, following: number) =>
        db.query(
          `INSERT INTO identity_metrics (destination_id, identity_id, followers_count, following_count, recorded_at)
           VALUES ($1, $2, $3, $4, $5)`,
          [d, id, followers, following, at],
        );
      const A = await identity(d, null, 'ChapitreRue', 5000, 300);
      const B = await identity(d, null, 'PlaceDesLices', 1300, 100);
      const C = await identity(d, null, 'RueVasselot', 300, 600);
      const fan = await identity(d, null, 'derby_fan', 10, 10);
      await metric(A, new Date(Date.UTC(2026, 2, 20)), 900, 300);
      await metric(A, april(25), 1200, 300);
      await metric(A, new Date(Date.UTC(2026, 4, 10)), 5000, 300);
      await metric(B, april(10), 1200, 100);
      await metric(C, new Date(Date.UTC(2026, 4, 5)), 300, 600);
      const as = (identityId: string) => ({ identityId, visitorId: null });
      await interaction(d, as(A), {
        externalId: 'a0',
        at: new Date(Date.UTC(2026, 2, 31, 23)),
        shares: 50,
      });
      await interaction(d, as(A), {
        externalId: 'a1',
        at: april(5),
        likes: 20,
        shares: 10,
        replies: 2,
        quotes: 1,
      });
      await interaction(d, as(A), { externalId: 'a2', at: april(20), likes: 5, shares: 3 });
      await interaction(d, as(A), {
        externalId: 'a3',
        at: new Date(Date.UTC(2026, 4, 2)),
        shares: 100,
      });
      await interaction(d, as(B), { externalId: 'b1', at: april(8), likes: 10, shares: 2 });
      for (let i = 0; i < 15; i++)
        await interaction(d, as(fan), { kind: 'RETWEET', at: april(9), ref: 'b1' });
      await interaction(d, as(C), {
        externalId: 'c1',
        at: april(15),
        likes: 100,
        shares: 1,
        replies: 10,
      });
    });

    it('gives standings and the four trophies, ties to the handle that sorts first', async () => {
      const { derby } = await app.ok(
        DERBY,
        {
          input: {
            handles: [
              '@ChapitreRue',
              'placedeslices',
              'RueVasselot',
              'nobody_here',
              '@CHAPITRERUE',
            ],
            from: FROM,
            to: TO,
          },
        },
        a.admin,
      );
      expect(derby.from).toBe(FROM);
      expect(derby.to).toBe(TO);
      expect(derby.standings).toEqual([
        {
          handle: 'ChapitreRue',
          followers: 1200,
          following: 300,
          posts: 2,
          shares: 13,
          engagementRate: expect.closeTo(41 / 2 / 1200, 12),
          bestPost: { externalId: 'a1' },
        },
        {
          handle: 'placedeslices',
          followers: 1200,
          following: 100,
          posts: 1,
          shares: 15,
          engagementRate: expect.closeTo(25 / 1200, 12),
          bestPost: { externalId: 'b1' },
        },
        {
          handle: 'RueVasselot',
          followers: 300,
          following: 600,
          posts: 1,
          shares: 1,
          engagementRate: expect.closeTo(111 / 300, 12),
          bestPost: { externalId: 'c1' },
        },
        {
          handle: 'nobody_here',
          followers: 0,
          following: 0,
          posts: 0,
          shares: 0,
          engagementRate: 0,
          bestPost: null,
        },
      ]);
      expect(derby.awards).toEqual([
        { trophy: 'MOST_FOLLOWERS', handle: 'ChapitreRue', value: 1200, post: null },
        { trophy: 'BEST_FOLLOWER_RATIO', handle: 'placedeslices', value: 12, post: null },
        {
          trophy: 'MOST_SHARED_POST',
          handle: 'placedeslices',
          value: 15,
          post: { externalId: 'b1' },
        },
        {
          trophy: 'HIGHEST_ENGAGEMENT',
          handle: 'RueVasselot',
          value: expect.closeTo(0.37, 12),
          post: null,
        },
      ]);
      // Another destination does not know these accounts.
      const { derby: other } = await app.ok(
        DERBY,
        { input: { handles: ['ChapitreRue'], from: FROM, to: TO } },
        b.admin,
      );
      expect(other.standings[0]).toMatchObject({ followers: 0, posts: 0 });
      expect(other.awards).toEqual([]);
    });

    it.each([
      ['an empty period', { handles: ['ChapitreRue'], from: FROM, to: FROM }],
      ['an inverted period', { handles: ['ChapitreRue'], from: TO, to: FROM }],
      ['no handle', { handles: [], from: FROM, to: TO }],
      ['a bad handle', { handles: ['not a handle!'], from: FROM, to: TO }],
      [
        '101 handles',
        { handles: Array.from({ length: 101 }, (_, i) => `h${i}`), from: FROM, to: TO },
      ],
    ])('refuses %s with BAD_USER_INPUT', async (_, input) => {
      const error = await app.fails(DERBY, { input }, a.admin);
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
    });

    it('takes 100 handles', async () => {
      const handles = Array.from({ length: 100 }, (_, i) => `h${i}`);
      const { derby } = await app.ok(DERBY, { input: { handles, from: FROM, to: TO } }, a.admin);
      expect(derby.standings).toHaveLength(100);
    });
  });
});
