import { createClient } from 'graphql-ws';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { SocialIngestService } from '../../src/modules/social/social-ingest.service.js';
import { SocialProvider } from '../../src/modules/visitors/social-identity.entity.js';
import { InteractionKind } from '../../src/modules/social/interaction.entity.js';
import { Role } from '../../src/modules/access/user.entity.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Headers = Record<string, string>;

const INGEST = `mutation($items: [InteractionInput!]!) {
  ingestInteractions(items: $items) { received created updated linkedToVisitors rejected { line errors } }
}`;
const NODE = `id externalId kind text occurredAt hashtags mentions sentiment wallStatus
  author { handle followersCount } visitor { id tags }
  metrics { likes shares replies quotes impressions }
  places { id name } interests { slug } inReplyTo { externalId }`;
const LIST = `query($filter: InteractionFilterInput, $first: Int, $after: String) {
  interactions(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${NODE} } }
  }
}`;

const base = Date.UTC(2026, 9, 1, 12);
function item(i: number, extra: Record<string, unknown> = {}) {
  return {
    provider: 'OTHER',
    externalId: `p${i}`,
    kind: 'POST',
    authorExternalId: `u${i % 50}`,
    authorHandle: `user_${i % 50}`,
    authorFollowersCount: 100 + (i % 50),
    text: `Post ${i}`,
    occurredAt: new Date(base + i * 1000).toISOString(),
    metrics: { likes: i % 7, shares: i % 3 },
    ...extra,
  };
}

describe('interactions (e2e)', () => {
  let app: TestApp;
  let a: Seeded;
  let b: Seeded;
  const ok = <T = Record<string, any>>(q: string, v: Record<string, unknown>, h: Headers) =>
    app.ok<T>(q, v, h);
  const list = async (h: Headers, filter: Record<string, unknown> = {}, first = 500) =>
    (await ok(LIST, { filter, first }, h)).interactions as {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { cursor: string; node: Record<string, any> }[];
    };

  beforeAll(async () => {
    app = await startTestApp();
    a = await seedDestination(app, 'Rennes');
    b = await seedDestination(app, 'Saint-Malo');
    await app.runtime.app.listen(0, '127.0.0.1');
  });
  afterAll(() => app?.stop());

  it('ingests 1,000 items, refusing exactly the 10 bad ones with every reason', async () => {
    const bad = new Set([3, 97, 150, 222, 401, 555, 600, 777, 888, 999]);
    const items = Array.from({ length: 1000 }, (_, i) => {
      if (!bad.has(i)) return item(i);
      if (i === 3) return item(i, { externalId: ' ', occurredAt: '2099-01-01T00:00:00Z' });
      if (i === 97) return item(i, { url: 'ftp://x', lang: '??' });
      if (i === 150) return item(i, { metrics: { likes: -1 } });
      if (i === 222) return item(i, { kind: 'REPLY' });
      if (i === 401) return item(i, { authorExternalId: '' });
      if (i === 555)
        return item(i, { occurredAt: new Date(Date.now() + 7 * 86400_000).toISOString() });
      if (i === 600) return item(i, { authorFollowersCount: -5 });
      if (i === 777) return item(i, { text: 'x'.repeat(10_001) });
      if (i === 888) return item(i, { provider: 'TWITTER', authorHandle: 'not a handle!' });
      return item(i, { externalId: 'p0' }); // 999: the same post as item 0
    });
    const report = (await ok(INGEST, { items }, a.admin)).ingestInteractions;
    expect(report.received).toBe(1000);
    expect(report.created).toBe(990);
    expect(report.updated).toBe(0);
    expect(report.rejected.map((r: { line: number }) => r.line)).toEqual(
      [...bad].sort((x, y) => x - y),
    );
    const first = report.rejected[0];
    expect(first.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^externalId:/),
        expect.stringMatching(/^occurredAt:/),
      ]),
    );
    expect(report.rejected[1].errors).toHaveLength(2);
    const page = await list(a.admin, {}, 10);
    expect(page.totalCount).toBe(990);
    // 50 authors, all new: prospects with no PII, linked through their identity.
    expect(page.edges[0].node.visitor.tags).toEqual(['prospect']);
    expect(page.edges[0].node.externalId).toBe('p998');
  });

  it('re-ingesting updates metrics, never duplicates; authors are then known visitors', async () => {
    const items = [item(1, { metrics: { likes: 40, shares: 12, impressions: 900 } }), item(2)];
    const report = (await ok(INGEST, { items }, a.admin)).ingestInteractions;
    expect(report).toMatchObject({ received: 2, created: 0, updated: 2, linkedToVisitors: 2 });
    const [node] = (
      await list(a.admin, {
        since: new Date(base + 1000).toISOString(),
        until: new Date(base + 2000).toISOString(),
      })
    ).edges;
    expect(node.node.metrics).toEqual({
      likes: 40,
      shares: 12,
      replies: 0,
      quotes: 0,
      impressions: 900,
    });
    expect((await list(a.admin, {}, 1)).totalCount).toBe(990);
  });

  it('links by external id, then by handle, records metrics history', async () => {
    const v = (
      await ok(
        `mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { id } }`,
        { input: { firstName: 'Anne', identities: [{ provider: 'TWITTER', handle: 'AnneBzh' }] } },
        a.admin,
      )
    ).createVisitor.id as string;
    const ingest = app.runtime.app.get(SocialIngestService);
    const post = {
      provider: SocialProvider.TWITTER,
      kind: InteractionKind.POST,
      authorExternalId: '4242',
      authorHandle: 'annebzh',
      authorFollowersCount: 10,
      authorFollowingCount: 5,
      occurredAt: new Date(base),
    };
    const r1 = await ingest.ingest(a.destination.id, [
      { ...post, externalId: 't1', text: 'Hello' },
    ]);
    expect(r1.linkedToVisitors).toBe(1);
    // Handle changed on the network: still the same person, found by id now.
    const r2 = await ingest.ingest(a.destination.id, [
      {
        ...post,
        externalId: 't2',
        authorHandle: 'anne_renamed',
        authorFollowersCount: 12,
        occurredAt: new Date(base + 1),
      },
    ]);
    expect(r2.linkedToVisitors).toBe(1);
    const mine = await list(a.admin, { visitorId: v });
    expect(mine.edges.map((e) => e.node.externalId)).toEqual(['t2', 't1']);
    expect(mine.edges[0].node.author).toEqual({ handle: 'anne_renamed', followersCount: 12 });
    const history: unknown[] = await app.runtime.app.get(DataSource).query(
      `SELECT m.followers_count FROM identity_metrics m JOIN social_identities s ON s.id = m.identity_id
          WHERE s.external_id = '4242' ORDER BY m.recorded_at, m.followers_count`,
    );
    expect(history).toEqual([{ followers_count: 10 }, { followers_count: 12 }]);
    const visitor = (
      await ok(
        `query($id: ID!) { visitor(id: $id) { interactions(first: 1) { totalCount edges { node { externalId } } } } }`,
        { id: v },
        a.admin,
      )
    ).visitor;
    expect(visitor.interactions).toMatchObject({
      totalCount: 2,
      edges: [{ node: { externalId: 't2' } }],
    });
  });

  it('interests from hashtags, keywords and place mentions (French and English); MENTION; sentiment', async () => {
    await ok(
      `mutation { upsertPlace(name: "Musée des Beaux-Arts", kind: ATTRACTION, twitterHandle: "mbarennes") { id } }`,
      {},
      a.admin,
    );
    const ingest = app.runtime.app.get(SocialIngestService);
    const t = (externalId: string, authorExternalId: string, text: string) => ({
      provider: SocialProvider.TWITTER,
      externalId,
      kind: InteractionKind.POST,
      authorExternalId,
      authorHandle: `h${authorExternalId}`,
      text,
      occurredAt: new Date(),
    });
    await ingest.ingest(a.destination.id, [
      t('fr1', '501', 'Journée magnifique à la #Plage avec les enfants'),
      t('en1', '502', 'Best restaurant ever, the chef is amazing'),
      t('pl1', '503', 'Superbe exposition chez @mbarennes'),
      t('neg', '504', 'Horrible weather, terrible day'),
    ]);
    const nodes = new Map(
      (
        await list(a.admin, {
          provider: 'TWITTER',
          since: new Date(Date.now() - 60_000).toISOString(),
        })
      ).edges.map((e) => [e.node.externalId as string, e.node]),
    );
    expect(nodes.get('fr1')!.interests.map((i: { slug: string }) => i.slug)).toContain(
      'beaches-water',
    );
    expect(nodes.get('en1')!.interests.map((i: { slug: string }) => i.slug)).toContain(
      'gastronomy',
    );
    expect(nodes.get('pl1')!.kind).toBe('MENTION');
    expect(nodes.get('pl1')!.places.map((p: { name: string }) => p.name)).toEqual([
      'Musée des Beaux-Arts',
    ]);
    expect(nodes.get('pl1')!.interests.map((i: { slug: string }) => i.slug)).toContain(
      'museums-arts',
    );
    expect(nodes.get('fr1')!.sentiment).toBeGreaterThan(0);
    expect(nodes.get('neg')!.sentiment).toBeLessThan(0);
    expect(nodes.get('fr1')!.wallStatus).toBe('PENDING');
    expect(nodes.get('neg')!.wallStatus).toBe('REJECTED');
    for (const [id, slug] of [
      ['fr1', 'beaches-water'],
      ['en1', 'gastronomy'],
      ['pl1', 'museums-arts'],
    ]) {
      const visitorId = nodes.get(id)!.visitor.id as string;
      const v = (
        await ok(
          `query($id: ID!) { visitor(id: $id) { interests { interest { slug } } } }`,
          { id: visitorId },
          a.admin,
        )
      ).visitor;
      expect(v.interests.map((i: { interest: { slug: string } }) => i.interest.slug)).toContain(
        slug,
      );
    }
    // Segments: interactedSince selects the people who interacted since then.
    const preview = await ok(
      `query($f: SegmentFilterInput!) { previewSegment(filter: $f) { count } }`,
      { f: { interactedSince: new Date(Date.now() - 60_000).toISOString() } },
      a.admin,
    );
    expect(preview.previewSegment.count).toBe(4);
    // Every filter.
    expect(
      (await list(a.admin, { hashtag: '#plage' })).edges.map((e) => e.node.externalId),
    ).toEqual(['fr1']);
    expect(
      (await list(a.admin, { interest: 'gastronomy' })).edges.map((e) => e.node.externalId),
    ).toEqual(['en1']);
    const placeId = nodes.get('pl1')!.places[0].id as string;
    expect((await list(a.admin, { placeId })).edges.map((e) => e.node.externalId)).toEqual(['pl1']);
    expect((await list(a.admin, { kinds: ['MENTION'] })).totalCount).toBe(1);
    expect(
      (await list(a.admin, { wallStatus: 'PENDING' })).edges.map((e) => e.node.externalId).sort(),
    ).toEqual(expect.arrayContaining(['fr1', 'en1']));
    expect((await list(a.admin, { provider: 'OTHER' })).totalCount).toBe(990);
  });

  it('a retweet and a reply credit the original author', async () => {
    const ingest = app.runtime.app.get(SocialIngestService);
    const common = { provider: SocialProvider.TWITTER, occurredAt: new Date(base + 5_000_000) };
    await ingest.ingest(a.destination.id, [
      {
        ...common,
        externalId: 'orig',
        kind: InteractionKind.POST,
        authorExternalId: '900',
        authorHandle: 'origin',
        text: 'Rennes!',
        metrics: { shares: 3, replies: 1 },
      },
      {
        ...common,
        externalId: 'rt',
        kind: InteractionKind.RETWEET,
        authorExternalId: '901',
        authorHandle: 'fan1',
        referencedExternalId: 'orig',
      },
      {
        ...common,
        externalId: 're',
        kind: InteractionKind.REPLY,
        authorExternalId: '902',
        authorHandle: 'fan2',
        inReplyToExternalId: 'orig',
        text: 'Yes!',
      },
    ]);
    const credited: { handle: string; amplifications: string }[] = await app.runtime.app
      .get(DataSource)
      .query(
        `SELECT s.handle, count(*)::text AS amplifications
         FROM interactions r
         JOIN interactions o ON o.destination_id = r.destination_id AND o.provider = r.provider
                            AND o.external_id = r.referenced_external_id
         JOIN social_identities s ON s.id = o.author_identity_id
        WHERE r.destination_id = $1 GROUP BY s.handle`,
        [a.destination.id],
      );
    expect(credited).toEqual([{ handle: 'origin', amplifications: '2' }]);
    const reply = (await list(a.admin, { kinds: ['REPLY'] })).edges[0].node;
    expect(reply.inReplyTo).toEqual({ externalId: 'orig' });
  });

  it('paginates newest first with cursors; tenant isolation; roles', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res: any = (
        await ok(LIST, { filter: { provider: 'OTHER' }, first: 400, after }, a.admin)
      ).interactions;
      seen.push(...res.edges.map((e: any) => e.node.id));
      after = res.pageInfo.hasNextPage ? res.pageInfo.endCursor : null;
    } while (after);
    expect(new Set(seen).size).toBe(990);
    expect((await list(b.admin)).totalCount).toBe(0);
    const analyst = await a.as(Role.ANALYST);
    expect((await list(analyst, {}, 1)).totalCount).toBeGreaterThan(990);
    const denied = await app.fails(INGEST, { items: [item(1)] }, analyst);
    expect(denied.extensions.code).toBe('FORBIDDEN');
  });

  it('erasure unlinks and blanks the person’s interactions', async () => {
    const nodes = (await list(a.admin, { hashtag: 'plage' })).edges;
    const visitorId = nodes[0].node.visitor.id as string;
    await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: visitorId }, a.admin);
    const after = (
      await list(a.admin, { since: new Date(Date.now() - 3_600_000).toISOString() })
    ).edges.find((e) => e.node.id === nodes[0].node.id)!.node;
    expect(after).toMatchObject({ text: null, visitor: null, hashtags: [], mentions: [] });
    expect(after.author.handle).toBeNull();
  });

  it('interactionIngested streams new interactions of the subscriber’s destination only', async () => {
    const { port } = app.runtime.app.getHttpServer().address() as { port: number };
    const listen = (authorization: string) => {
      const client = createClient({
        url: `ws://127.0.0.1:${port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: authorization },
        retryAttempts: 0,
      });
      const got: string[] = [];
      client.subscribe<{ interactionIngested: { externalId: string } }>(
        { query: 'subscription { interactionIngested { externalId author { handle } } }' },
        {
          next: (msg) => {
            if (msg.data) got.push(msg.data.interactionIngested.externalId);
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
      return { client, got };
    };
    const inA = listen(a.admin.authorization);
    const inB = listen(b.admin.authorization);
    await new Promise((r) => setTimeout(r, 300));
    await ok(INGEST, { items: [item(5000), item(5001)] }, a.admin);
    for (let i = 0; i < 50 && inA.got.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(inA.got.sort()).toEqual(['p5000', 'p5001']);
    expect(inB.got).toEqual([]);
    await Promise.all([inA.client.dispose(), inB.client.dispose()]);
  });

  it('merging visitors moves their interactions', async () => {
    const nodes = (await list(a.admin, { provider: 'OTHER' }, 2)).edges;
    const [keep, merge] = [nodes[0].node.visitor.id, nodes[1].node.visitor.id] as string[];
    expect(keep).not.toBe(merge);
    const before = (await list(a.admin, { visitorId: merge }, 1)).totalCount;
    const kept = (await list(a.admin, { visitorId: keep }, 1)).totalCount;
    await ok(
      'mutation($keep: ID!, $merge: ID!) { mergeVisitors(keepId: $keep, mergeId: $merge) { id } }',
      { keep, merge },
      a.admin,
    );
    expect((await list(a.admin, { visitorId: keep }, 1)).totalCount).toBe(kept + before);
  });
});
