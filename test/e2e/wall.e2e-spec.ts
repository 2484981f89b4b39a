import { createClient, type Client } from 'graphql-ws';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { Role } from '../../src/modules/access/user.entity.js';
import { SocialPollingService } from '../../src/modules/social/social-polling.service.js';
import { WallController, WALL_STREAM_MAX_MS } from '../../src/modules/wall/wall.controller.js';
import { createRuntime } from '../../src/runtime.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';
import { generateScenario, startFakeX, type FakeX } from '../support/fake-x/index.js';
import { openSse, type SseStream } from '../support/sse.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Headers = Record<string, string>;

const INGEST = `mutation($items: [InteractionInput!]!) {
  ingestInteractions(items: $items) { created rejected { line errors } }
}`;
const MODERATE = `mutation($id: ID!, $status: WallStatus!) {
  moderateWallPost(interactionId: $id, status: $status) { id externalId wallStatus }
}`;
const WALL = `query($first: Int, $after: ID) {
  wall(first: $first, after: $after) { id externalId text wallStatus author { handle } }
}`;
const STATUSES = `query($filter: InteractionFilterInput) {
  interactions(filter: $filter, first: 500) { edges { node { id externalId wallStatus } } }
}`;
const BLOCKLIST = `mutation($words: [String!]!) { updateWallBlocklist(words: $words) }`;

const POSITIVE = 'Wonderful day by the river, I love this city';
const hourAgo = Date.now() - 3_600_000;
let seq = 0;

/** A new positive partner post (a wall candidate), `minutes` after an hour ago. */
function post(minutes: number, extra: Record<string, unknown> = {}) {
  const n = ++seq;
  return {
    provider: 'OTHER',
    externalId: `w${n}`,
    kind: 'POST',
    authorExternalId: `author${n % 7}`,
    authorHandle: `fan_${n % 7}`,
    text: `${POSITIVE} (${n})`,
    occurredAt: new Date(hourAgo + minutes * 60_000).toISOString(),
    ...extra,
  };
}

describe('the showroom wall (e2e)', () => {
  let app: TestApp;
  let fake: FakeX;
  let db: DataSource;
  let base: string;
  let a: Seeded;
  let b: Seeded;
  let marketerA: Headers;
  let analystA: Headers;
  let marketerB: Headers;
  const clients: Client[] = [];
  const streams: SseStream[] = [];

  const ok = <T = Record<string, any>>(q: string, v: Record<string, unknown>, h: Headers) =>
    app.ok<T>(q, v, h);
  /** Ingests partner posts into the caller's destination; returns them by externalId, in order. */
  async function ingest(h: Headers, items: Record<string, unknown>[]) {
    const report = (await ok(INGEST, { items }, h)).ingestInteractions;
    expect(report.rejected).toEqual([]);
    const nodes = new Map<string, { id: string; wallStatus: string }>(
      (await ok(STATUSES, {}, h)).interactions.edges.map(
        (e: { node: { id: string; externalId: string; wallStatus: string } }) => [
          e.node.externalId,
          e.node,
        ],
      ),
    );
    return new Map(items.map((i) => [i.externalId as string, nodes.get(i.externalId as string)!]));
  }
  const wall = async (h: Headers, first?: number, after?: string) =>
    (await ok(WALL, { first, after }, h)).wall as { id: string; externalId: string }[];

  beforeAll(async () => {
    const end = new Date();
    fake = await startFakeX(
      generateScenario({
        seed: 11,
        users: 6,
        posts: 20,
        hashtags: ['Escale'],
        handles: ['escale_wall'],
        start: new Date(end.getTime() - 86_400_000),
        end,
      }),
    );
    app = await startTestApp({
      env: { ROLE: 'api', X_BEARER_TOKEN: 'test-bearer-token', X_API_BASE_URL: fake.url },
    });
    app.runtime.app.get(SocialPollingService).retry = { attempts: 2, baseDelayMs: 10 };
    db = app.runtime.app.get(DataSource);
    a = await seedDestination(app, 'Rennes');
    b = await seedDestination(app, 'Saint-Malo');
    [marketerA, analystA, marketerB] = await Promise.all([
      a.as(Role.MARKETER),
      a.as(Role.ANALYST),
      b.as(Role.MARKETER),
    ]);
    await app.runtime.app.listen(0, '127.0.0.1');
    const { port } = app.runtime.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    // Screens still connected: the shutdown ends their streams instead of waiting for them.
    await app?.stop();
    for (const s of streams) s.close();
    await fake?.stop();
  });

  it('MARKETER and ADMIN moderate; ANALYST and API keys may not; who and when are kept', async () => {
    const posts = await ingest(a.admin, [post(1), post(2)]);
    const [first, second] = [...posts.values()];
    expect(first.wallStatus).toBe('PENDING');

    expect(
      (await app.fails(MODERATE, { id: first.id, status: 'APPROVED' }, analystA)).extensions.code,
    ).toBe('FORBIDDEN');
    const key = (
      await ok(
        'mutation { createApiKey(name: "Hotel", scopes: [WRITE_INTERACTIONS, READ_AGGREGATES, READ_PROFILES]) { secret } }',
        {},
        a.admin,
      )
    ).createApiKey.secret as string;
    expect(
      (await app.fails(MODERATE, { id: first.id, status: 'APPROVED' }, { 'x-api-key': key }))
        .extensions.code,
    ).toBe('FORBIDDEN');
    expect(
      (await app.fails(MODERATE, { id: first.id, status: 'APPROVED' }, {})).extensions.code,
    ).toBe('UNAUTHENTICATED');
    expect(
      (await db.query('SELECT wall_status FROM interactions WHERE id = $1', [first.id]))[0],
    ).toEqual({ wall_status: 'PENDING' });

    const approved = (await ok(MODERATE, { id: first.id, status: 'APPROVED' }, marketerA))
      .moderateWallPost;
    expect(approved).toMatchObject({ id: first.id, wallStatus: 'APPROVED' });
    const rejected = (await ok(MODERATE, { id: second.id, status: 'REJECTED' }, a.admin))
      .moderateWallPost;
    expect(rejected.wallStatus).toBe('REJECTED');

    const me = async (h: Headers) => (await ok('{ me { user { id } } }', {}, h)).me.user.id;
    const [row1] = await db.query(
      'SELECT moderated_by_id, moderated_at FROM interactions WHERE id = $1',
      [first.id],
    );
    expect(row1.moderated_by_id).toBe(await me(marketerA));
    expect(Math.abs(new Date(row1.moderated_at).getTime() - Date.now())).toBeLessThan(60_000);
    const [row2] = await db.query('SELECT moderated_by_id FROM interactions WHERE id = $1', [
      second.id,
    ]);
    expect(row2.moderated_by_id).toBe(await me(a.admin));

    // Re-moderation: the rejected post can still be approved, the approved one taken off.
    await ok(MODERATE, { id: second.id, status: 'APPROVED' }, marketerA);
    await ok(MODERATE, { id: first.id, status: 'PENDING' }, marketerA);
    const onWall = (await wall(analystA)).map((p) => p.id);
    expect(onWall).toContain(second.id);
    expect(onWall).not.toContain(first.id);
  });

  it('a post of another destination is NOT_FOUND, and each wall shows its own posts only', async () => {
    const mine = [...(await ingest(a.admin, [post(3)])).values()][0];
    const err = await app.fails(MODERATE, { id: mine.id, status: 'APPROVED' }, marketerB);
    expect(err.extensions.code).toBe('NOT_FOUND');
    const [row] = await db.query('SELECT wall_status FROM interactions WHERE id = $1', [mine.id]);
    expect(row.wall_status).toBe('PENDING');
    await ok(MODERATE, { id: mine.id, status: 'APPROVED' }, marketerA);
    expect((await wall(marketerB)).map((p) => p.id)).not.toContain(mine.id);
    expect((await wall(marketerA)).map((p) => p.id)).toContain(mine.id);
    // Paging from a foreign post is refused the same way.
    expect((await app.fails(WALL, { first: 5, after: mine.id }, marketerB)).extensions.code).toBe(
      'NOT_FOUND',
    );
  });

  it('refuses what cannot be on the wall, changing nothing', async () => {
    const items = [
      post(4, { kind: 'LIKE', text: null }),
      post(5, { kind: 'REPLY', inReplyToExternalId: 'w1' }),
    ];
    const posts = await ingest(a.admin, items);
    for (const p of posts.values()) {
      const err = await app.fails(MODERATE, { id: p.id, status: 'APPROVED' }, marketerA);
      expect(err.extensions.code).toBe('BAD_USER_INPUT');
      const [row] = await db.query(
        'SELECT wall_status, moderated_at FROM interactions WHERE id = $1',
        [p.id],
      );
      expect(row).toEqual({ wall_status: null, moderated_at: null });
    }
    expect(
      (await app.fails(MODERATE, { id: 'not-an-id', status: 'APPROVED' }, marketerA)).extensions
        .code,
    ).toBe('BAD_USER_INPUT');
    expect((await app.fails(WALL, { first: 101 }, marketerA)).extensions.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await app.fails(WALL, { first: -1 }, marketerA)).extensions.code).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('wall(first, after) lists approved posts newest first, page after page', async () => {
    const c = await seedDestination(app, 'Vitré');
    const minutes = [10, 50, 30, 20, 40, 45];
    const items = minutes.map((m) => post(m));
    const posts = await ingest(c.admin, items);
    const ids = items.map((i) => posts.get(i.externalId)!.id);
    // Approve all but the 45-minute one, which stays pending; the 20-minute one is rejected.
    for (const [i, id] of ids.entries()) {
      if (minutes[i] === 45) continue;
      await ok(MODERATE, { id, status: minutes[i] === 20 ? 'REJECTED' : 'APPROVED' }, c.admin);
    }
    const byMinute = (m: number) => ids[minutes.indexOf(m)];
    const expected = [50, 40, 30, 10].map(byMinute);
    expect((await wall(c.admin)).map((p) => p.id)).toEqual(expected);

    const page1 = await wall(c.admin, 3);
    expect(page1.map((p) => p.id)).toEqual(expected.slice(0, 3));
    const page2 = await wall(c.admin, 3, page1.at(-1)!.id);
    expect(page2.map((p) => p.id)).toEqual(expected.slice(3));
    expect(await wall(c.admin, 3, page2.at(-1)!.id)).toEqual([]);
    expect(await wall(c.admin, 0)).toEqual([]);

    // Erasure blanks the text: the post leaves the wall.
    const visitorId = (
      await ok('{ interactions(first: 50) { edges { node { id visitor { id } } } } }', {}, c.admin)
    ).interactions.edges.find((e: { node: { id: string } }) => e.node.id === byMinute(50)).node
      .visitor.id;
    await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: visitorId }, c.admin);
    expect((await wall(c.admin)).map((p) => p.id)).not.toContain(byMinute(50));
  });

  it('a blocklist (case, accents, plurals, hashtags) rejects at ingest and clears the queue', async () => {
    const c = await seedDestination(app, 'Dinan');
    const pendingBefore = await ingest(c.admin, [
      post(1, { externalId: 'old-ok', text: `${POSITIVE}, great food` }),
      post(2, { externalId: 'old-bad', text: `${POSITIVE} but what an ARNAQUÉ` }),
    ]);
    expect([...pendingBefore.values()].map((p) => p.wallStatus)).toEqual(['PENDING', 'PENDING']);

    // Bad entries are named and change nothing.
    const bad = await app.fails(BLOCKLIST, { words: ['arnaque', '  ', '!!'] }, c.admin);
    expect(bad.extensions.code).toBe('BAD_USER_INPUT');
    expect((await ok('{ wallBlocklist }', {}, c.admin)).wallBlocklist).toEqual([]);
    expect((await app.fails('{ wallBlocklist }', {}, analystA)).extensions.code).toBe('FORBIDDEN');

    const saved = (
      await ok(BLOCKLIST, { words: [' Arnaque ', 'pas terrible', 'arnaqué'] }, c.admin)
    ).updateWallBlocklist;
    expect(saved).toEqual(['Arnaque', 'pas terrible']);
    expect((await ok('{ wallBlocklist }', {}, c.admin)).wallBlocklist).toEqual(saved);

    const statuses = async () =>
      new Map<string, string>(
        (await ok(STATUSES, {}, c.admin)).interactions.edges.map(
          (e: { node: { externalId: string; wallStatus: string } }) => [
            e.node.externalId,
            e.node.wallStatus,
          ],
        ),
      );
    let now = await statuses();
    expect(now.get('old-ok')).toBe('PENDING');
    expect(now.get('old-bad')).toBe('REJECTED'); // the queue is cleared at once

    await ingest(c.admin, [
      post(3, { externalId: 'new-ok', text: `${POSITIVE}, merci` }),
      post(4, { externalId: 'new-caps', text: `${POSITIVE}. Deux ARNAQUES au marché` }),
      post(5, { externalId: 'new-tag', text: `${POSITIVE} #PasTerrible` }),
      post(6, { externalId: 'new-partial', text: `${POSITIVE}, pas si terrible` }),
    ]);
    now = await statuses();
    expect(now.get('new-ok')).toBe('PENDING');
    expect(now.get('new-caps')).toBe('REJECTED');
    expect(now.get('new-tag')).toBe('REJECTED');
    expect(now.get('new-partial')).toBe('PENDING'); // phrases match whole, in order

    // Another destination's list is its own.
    const other = await ingest(b.admin, [post(7, { text: `${POSITIVE}, arnaque` })]);
    expect([...other.values()][0].wallStatus).toBe('PENDING');
    // A person may still put an automatically rejected post on the wall.
    const caps = (
      await ok(STATUSES, { filter: { wallStatus: 'REJECTED' } }, c.admin)
    ).interactions.edges.find(
      (e: { node: { externalId: string } }) => e.node.externalId === 'new-caps',
    ).node;
    await ok(MODERATE, { id: caps.id, status: 'APPROVED' }, c.admin);
    expect((await wall(c.admin)).map((p) => p.externalId)).toEqual(['new-caps']);
  });

  it('posts X flags possibly_sensitive are rejected at ingest (polled from the X API)', async () => {
    const c = await seedDestination(app, 'Fougères');
    await ok('mutation { trackSource(kind: HASHTAG, value: "MurDeTest") { id } }', {}, c.admin);
    const author = fake.store.toScenario().users[2].id;
    const calm = fake.addPost({ author_id: author, text: `${POSITIVE} #MurDeTest` });
    const flagged = fake.addPost({
      author_id: author,
      text: `${POSITIVE}, amazing #MurDeTest`,
      possibly_sensitive: true,
    });
    const sync = (await ok('mutation { syncSocialNow { lastError } }', {}, c.admin)).syncSocialNow;
    expect(sync.lastError).toBeNull();
    const rows: { external_id: string; wall_status: string; possibly_sensitive: boolean }[] =
      await db.query(
        'SELECT external_id, wall_status, possibly_sensitive FROM interactions WHERE destination_id = $1 ORDER BY external_id',
        [c.destination.id],
      );
    expect(rows).toEqual(
      [
        { external_id: calm.id, wall_status: 'PENDING', possibly_sensitive: false },
        { external_id: flagged.id, wall_status: 'REJECTED', possibly_sensitive: true },
      ].sort((x, y) => x.external_id.localeCompare(y.external_id)),
    );
  });

  it('wallPostApproved reaches the subscribers of the destination, for approvals only', async () => {
    const { port } = new URL(base);
    const listen = (authorization: string) => {
      const client = createClient({
        url: `ws://127.0.0.1:${port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: authorization },
        retryAttempts: 0,
      });
      clients.push(client);
      const got: { id: string; text: string; handle: string; status: string }[] = [];
      let started!: () => void;
      const ready = new Promise<void>((r) => (started = r));
      client.on('connected', () => started());
      client.subscribe<{
        wallPostApproved: {
          id: string;
          text: string;
          wallStatus: string;
          author: { handle: string };
        };
      }>(
        { query: 'subscription { wallPostApproved { id text wallStatus author { handle } } }' },
        {
          next: (msg) => {
            const p = msg.data?.wallPostApproved;
            if (p)
              got.push({ id: p.id, text: p.text, handle: p.author.handle, status: p.wallStatus });
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
      return { got, ready };
    };
    const inA = listen(analystA.authorization);
    const inB = listen(marketerB.authorization);
    await Promise.all([inA.ready, inB.ready]);
    // The subscription is registered just after the connection is acknowledged.
    await new Promise((r) => setTimeout(r, 200));

    const posts = [...(await ingest(a.admin, [post(8), post(9)])).values()];
    await ok(MODERATE, { id: posts[0].id, status: 'REJECTED' }, marketerA);
    await ok(MODERATE, { id: posts[1].id, status: 'APPROVED' }, marketerA);
    await ok(MODERATE, { id: posts[1].id, status: 'APPROVED' }, marketerA); // no second event
    for (let i = 0; i < 100 && !inA.got.length; i++) await new Promise((r) => setTimeout(r, 50));
    await ok(MODERATE, { id: posts[0].id, status: 'APPROVED' }, marketerA);
    for (let i = 0; i < 100 && inA.got.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(inA.got.map((p) => p.id)).toEqual([posts[1].id, posts[0].id]);
    expect(inA.got[0]).toMatchObject({
      status: 'APPROVED',
      handle: expect.stringMatching(/^fan_/),
    });
    expect(inB.got).toEqual([]);
  });

  it('GET /wall/:id/events: a snapshot, then approvals and removals, public fields only', async () => {
    const c = await seedDestination(app, 'Combourg');
    const posts = [...(await ingest(c.admin, [post(11), post(12), post(13)])).values()];
    await ok(MODERATE, { id: posts[0].id, status: 'APPROVED' }, c.admin);

    const stream = await openSse(`${base}/wall/${c.destination.id}/events`);
    streams.push(stream);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const snapshot = JSON.parse((await stream.next((e) => e.event === 'snapshot')).data);
    expect(snapshot.posts).toHaveLength(1);
    expect(Object.keys(snapshot.posts[0]).sort()).toEqual(['handle', 'id', 'occurredAt', 'text']);
    expect(snapshot.posts[0]).toMatchObject({
      id: posts[0].id,
      text: expect.stringContaining('Wonderful'),
    });

    await ok(MODERATE, { id: posts[1].id, status: 'APPROVED' }, c.admin);
    const added = JSON.parse((await stream.next((e) => e.event === 'post')).data);
    expect(added).toEqual({
      id: posts[1].id,
      handle: expect.stringMatching(/^fan_/),
      text: expect.stringContaining('Wonderful'),
      occurredAt: expect.any(String),
    });
    // Another destination's approvals never reach this screen.
    const elsewhere = [...(await ingest(a.admin, [post(14)])).values()][0];
    await ok(MODERATE, { id: elsewhere.id, status: 'APPROVED' }, a.admin);

    await ok(MODERATE, { id: posts[0].id, status: 'REJECTED' }, c.admin);
    const removed = JSON.parse((await stream.next((e) => e.event === 'remove')).data);
    expect(removed).toEqual({ id: posts[0].id });
    expect(
      stream.events.filter((e) => e.event === 'post').map((e) => JSON.parse(e.data).id),
    ).toEqual([posts[1].id]);

    // A new screen gets the wall as it is now.
    const later = await openSse(`${base}/wall/${c.destination.id}/events`);
    streams.push(later);
    const now = JSON.parse((await later.next((e) => e.event === 'snapshot')).data);
    expect(now.posts.map((p: { id: string }) => p.id)).toEqual([posts[1].id]);
  });

  it('a stream ends after a while and the screen reconnects to a fresh snapshot', async () => {
    const c = await seedDestination(app, 'Dol');
    const [gone, kept] = [...(await ingest(c.admin, [post(16), post(17)])).values()];
    for (const p of [gone, kept]) await ok(MODERATE, { id: p.id, status: 'APPROVED' }, c.admin);
    const controller = app.runtime.app.get(WallController);
    controller.streamMaxMs = 1500;
    try {
      const stream = await openSse(`${base}/wall/${c.destination.id}/events`);
      streams.push(stream);
      await stream.next((e) => e.event === 'snapshot');
      // An erasure announces nothing to screens: the post leaves them with the next snapshot.
      const visitorId = (
        await ok(
          '{ interactions(first: 50) { edges { node { id visitor { id } } } } }',
          {},
          c.admin,
        )
      ).interactions.edges.find((e: { node: { id: string } }) => e.node.id === gone.id).node.visitor
        .id;
      await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: visitorId }, c.admin);
      await stream.ended;
    } finally {
      controller.streamMaxMs = WALL_STREAM_MAX_MS;
    }
    const again = await openSse(`${base}/wall/${c.destination.id}/events`);
    streams.push(again);
    const snapshot = JSON.parse((await again.next((e) => e.event === 'snapshot')).data);
    expect(snapshot.posts.map((p: { id: string }) => p.id)).toEqual([kept.id]);
  });

  it('GET /wall/:id is a public, self-contained page; an unknown destination is 404', async () => {
    const c = await seedDestination(app, `Le <script>alert("x")</script> & Co`);
    await ok(
      'mutation { updateDestination(trackedHashtags: ["WallTest"], twitterHandles: ["escale_wall"]) { id } }',
      {},
      c.admin,
    );
    const res = await app.http().get(`/wall/${c.destination.id}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'nonce-[^']+'/);
    expect(csp).not.toContain('unsafe-inline');
    const html = res.text;
    expect(html).toContain('Le &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('#WallTest · @escale_wall');
    // Nothing loaded from elsewhere: no src/href but inline data, no absolute URL.
    expect(html).not.toMatch(/\b(src|href)="(?!data:)/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html.match(/<script nonce="([^"]+)">/)![1]).toBe(csp.match(/'nonce-([^']+)'/)![1]);

    for (const path of [
      '/wall/00000000-0000-4000-8000-000000000000',
      '/wall/00000000-0000-4000-8000-000000000000/events',
      '/wall/not-a-destination',
      '/wall/not-a-destination/events',
    ]) {
      expect((await app.http().get(path)).status).toBe(404);
    }
  });

  it('a screen on another API process sees approvals made on this one', async () => {
    const c = await seedDestination(app, 'Cancale');
    const [p1] = [...(await ingest(c.admin, [post(15)])).values()];
    // A second API process on the same database (a replica behind a load balancer). Last in
    // this file: Nest warns that two apps in one Node process share TypeORM's data source names.
    const replica = await createRuntime(app.runtime.config, {
      quiet: true,
      log: () => undefined,
      skipBootstrap: true,
    });
    try {
      await replica.app.listen(0, '127.0.0.1');
      const { port } = replica.app.getHttpServer().address() as { port: number };
      const stream = await openSse(`http://127.0.0.1:${port}/wall/${c.destination.id}/events`);
      streams.push(stream);
      await stream.next((e) => e.event === 'snapshot');
      await ok(MODERATE, { id: p1.id, status: 'APPROVED' }, c.admin);
      expect(JSON.parse((await stream.next((e) => e.event === 'post')).data).id).toBe(p1.id);
      await ok(MODERATE, { id: p1.id, status: 'REJECTED' }, c.admin);
      expect(JSON.parse((await stream.next((e) => e.event === 'remove')).data).id).toBe(p1.id);
    } finally {
      await replica.stop();
    }
  });
});
