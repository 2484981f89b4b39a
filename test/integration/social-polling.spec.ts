import { jest } from '@jest/globals';
import type { Agent } from 'node:http';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { TweetV2, TwitterApi } from 'twitter-api-v2';
import { DataSource } from 'typeorm';
import {
  TrackedSourceEntity,
  TrackKind,
} from '../../src/modules/destinations/tracked-source.entity.js';
import {
  NO_TOKEN_ERROR,
  SocialPollingService,
  walkSearch,
  XAuthFailed,
  XRateLimited,
  type RetryOptions,
  type SocialIngestPort,
} from '../../src/modules/social/social-polling.service.js';
import { Clock } from '../../src/common/clock/clock.js';
import { InterestsService } from '../../src/modules/interests/interests.service.js';
import type { NormalizedPost } from '../../src/modules/social/social.types.js';
import { SocialJob, SocialPollProcessor } from '../../src/modules/social/jobs/social-poll.job.js';
import { QueueName } from '../../src/infra/queue/queue.constants.js';
import { mapXTweets } from '../../src/modules/social/x-mapping.js';
import { startTestApp, seedDestination, type TestApp } from '../support/app.js';
import { fakeXClient } from '../support/fake-x/client.js';
import {
  generateScenario,
  snowflake,
  startFakeX,
  type FakeX,
  type Scenario,
} from '../support/fake-x/index.js';

/**
 * X polling against the fake X API. The scenario ends now (real time) so that "younger than
 * 7 days" and search/recent's window agree with the machine's clock. The walk is tested on its
 * own (no database), then through the app (tracked sources, cursors, pauses, ingestionStatus,
 * syncSocialNow) with a recording ingest port standing in for the pipeline.
 */

const HANDLE = 'escale_annecy';
const FAST: RetryOptions = { attempts: 3, baseDelayMs: 10 };
const BOOT_TIMEOUT = 120_000;

function makeScenario(): Scenario {
  const end = new Date();
  const start = new Date(end.getTime() - 5 * 24 * 3600 * 1000);
  return generateScenario({
    seed: 7,
    users: 40,
    posts: 600,
    hashtags: ['Escale', 'LacAnnecy'],
    handles: [HANDLE, 'talloires_spa'],
    start: start.toISOString(),
    end: end.toISOString(),
  });
}

/** What a full walk must see: the library's own paginator over the same query. */
async function expectedIds(client: TwitterApi, query: string): Promise<string[]> {
  const paginator = await client.v2.search(query, { max_results: 100 });
  await paginator.fetchLast(100_000);
  return paginator.tweets.map((t) => t.id);
}

/** A committed store keyed by id: re-reading a post replaces it (what the upsert does). */
function recorder() {
  const rows = new Map<string, TweetV2>();
  let pages = 0;
  let calls = 0;
  return {
    rows,
    get pages() {
      return pages;
    },
    get calls() {
      return calls;
    },
    onPage: async (tweets: TweetV2[]) => {
      pages++;
      for (const t of tweets) {
        calls++;
        rows.set(t.id, t);
      }
    },
  };
}

describe('X polling: the walk', () => {
  let fake: FakeX;
  let client: TwitterApi;
  let agent: Agent;
  let all: string[];

  beforeAll(async () => {
    fake = await startFakeX(makeScenario());
    ({ client, agent } = fakeXClient(fake.url, 'test-bearer-token', { compression: false }));
    all = await expectedIds(client, '#Escale');
    expect(all.length).toBeGreaterThan(200); // several pages of 100
  });
  // Tests add posts: what a full walk must see is read again before each.
  beforeEach(async () => {
    all = await expectedIds(client, '#Escale');
  });
  afterEach(() => fake.clearFaults());
  afterAll(async () => {
    agent.destroy();
    await fake.stop();
  });

  it('walks every page, and the next walk from the cursor sees only what is new', async () => {
    const rec = recorder();
    const walk = await walkSearch(client, '#Escale', null, rec.onPage, { retry: FAST });
    expect(walk.pages).toBeGreaterThanOrEqual(3);
    expect(rec.calls).toBe(all.length); // no duplicates
    expect(new Set(rec.rows.keys())).toEqual(new Set(all)); // no gaps
    expect(walk.newestId).toBe(all[0]);

    const author = fake.store.toScenario().users[5].id;
    fake.addPost({ author_id: author, text: 'Encore une belle journée #Escale' });
    const next = recorder();
    const again = await walkSearch(client, '#Escale', walk.newestId, next.onPage, { retry: FAST });
    expect([...next.rows.values()].map((t) => t.text)).toEqual([
      'Encore une belle journée #Escale',
    ]);
    expect(BigInt(again.newestId!)).toBeGreaterThan(BigInt(walk.newestId!));

    const idle = await walkSearch(client, '#Escale', again.newestId, recorder().onPage, {
      retry: FAST,
    });
    expect(idle).toMatchObject({ posts: 0, newestId: again.newestId });
  });

  it('a slow commit gets the pages fetched (and prepared) meanwhile in one call, in order, at most batchPosts', async () => {
    const batches: string[][] = [];
    let includedUsers = 0;
    let committing = false;
    let preparedDuringCommit = 0;
    const walk = await walkSearch<string[]>(
      client,
      '#Escale',
      null,
      async (tweets, includes, prepared) => {
        committing = true;
        batches.push(tweets.map((t) => t.id));
        // What prepare made of each page comes with it, in the same order.
        expect(prepared.flat()).toEqual(tweets.map((t) => t.id));
        // Every post's author is in the merged includes (the mapping looks them up by id).
        const users = new Set((includes?.users ?? []).map((u) => u.id));
        includedUsers += tweets.filter((t) => users.has(t.author_id!)).length;
        await new Promise((resolve) => setTimeout(resolve, 150)); // a slow transaction
        committing = false;
      },
      {
        retry: FAST,
        batchPosts: 250,
        prepare: (tweets) => {
          if (committing) preparedDuringCommit++;
          return tweets.map((t) => t.id);
        },
      },
    );
    expect(batches.flat()).toEqual(all); // newest first, each post once, nothing skipped
    expect(includedUsers).toBe(all.length);
    expect(batches[0]).toHaveLength(100); // the first page goes alone: nothing else was there
    expect(batches.every((b) => b.length <= 250)).toBe(true); // whole pages, at most 250 posts
    expect(batches.length).toBeLessThan(walk.pages); // pages fetched meanwhile went together
    expect(preparedDuringCommit).toBeGreaterThan(0); // prepared ahead, while a batch committed
    expect(walk.posts).toBe(all.length);
  });

  it('a fetch failing while pages wait: those pages are committed first, then the walk fails', async () => {
    fake.fail('search/recent', { status: 503, after: 2, times: FAST.attempts });
    const committed: number[] = [];
    const error = await walkSearch(
      client,
      '#Escale',
      null,
      async (tweets) => {
        committed.push(tweets.length);
        await new Promise((resolve) => setTimeout(resolve, 100));
      },
      { retry: FAST },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 503 });
    expect(committed.reduce((a, b) => a + b, 0)).toBe(200); // the two pages served before it
  });

  it('a cursor older than the 7-day window (400 on since_id) is dropped: the walk starts over', async () => {
    const stale = snowflake(Date.now() - 8 * 24 * 3600 * 1000);
    const rec = recorder();
    const walk = await walkSearch(client, '#Escale', stale, rec.onPage, { retry: FAST });
    expect(walk.cursorDropped).toBe(true);
    expect(walk.newestId).toBe(all[0]);
    expect(new Set(rec.rows.keys())).toEqual(new Set(all));
  });

  it('a page cut mid-body is retried: the walk completes without duplicates or gaps', async () => {
    fake.fail('search/recent', { cut: 'mid-body', after: 1 });
    const rec = recorder();
    await walkSearch(client, '#Escale', null, rec.onPage, { retry: FAST });
    expect(rec.calls).toBe(all.length);
    expect(new Set(rec.rows.keys())).toEqual(new Set(all));
  });

  it('a crash after page 1 (503 past the retries) returns no cursor; the re-run re-reads, never skips', async () => {
    fake.fail('search/recent', { status: 503, after: 1, times: FAST.attempts });
    const rec = recorder();
    await expect(
      walkSearch(client, '#Escale', null, rec.onPage, { retry: FAST }),
    ).rejects.toMatchObject({
      code: 503,
    });
    expect(rec.pages).toBe(1); // page 1 was committed, the cursor was not returned
    // The stored cursor did not move (still null): the re-run walks everything again.
    await walkSearch(client, '#Escale', null, rec.onPage, { retry: FAST });
    expect(new Set(rec.rows.keys())).toEqual(new Set(all));
    expect(rec.rows.size).toBe(all.length);
  });

  it('429 stops the walk with the reset time; after the reset it resumes and loses nothing', async () => {
    fake.fail('search/recent', { status: 429, after: 1, resetInSeconds: 1 });
    const rec = recorder();
    const error = await walkSearch(client, '#Escale', null, rec.onPage, { retry: FAST }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(XRateLimited);
    const reset = (error as XRateLimited).resetAt!.getTime();
    expect(reset).toBeGreaterThan(Date.now() - 1000);
    expect(reset).toBeLessThan(Date.now() + 5000);
    await new Promise((r) => setTimeout(r, Math.max(0, reset - Date.now()) + 100));
    await walkSearch(client, '#Escale', null, rec.onPage, { retry: FAST });
    expect(new Set(rec.rows.keys())).toEqual(new Set(all));
  });

  it('partial errors (a quoted post deleted) do not stop the walk', async () => {
    const scenario = fake.store.toScenario();
    const original = fake.addPost({
      author_id: scenario.users[1].id,
      text: 'Original #PartialCase',
    });
    fake.addPost({
      author_id: scenario.users[2].id,
      text: 'Je cite #PartialCase',
      referenced_tweets: [{ type: 'quoted', id: original.id }],
    });
    fake.deletePost(original.id);
    let mapped: NormalizedPost[] = [];
    const walk = await walkSearch(
      client,
      '#PartialCase',
      null,
      async (tweets, includes) => {
        mapped = mapXTweets(tweets, includes, { watchedHandles: [HANDLE] });
      },
      { retry: FAST },
    );
    expect(walk.partialErrors).toBeGreaterThan(0);
    expect(mapped).toHaveLength(1);
    expect(mapped[0]).toMatchObject({ kind: 'QUOTE', referencedExternalId: original.id });
  });

  it('401 is an auth failure, not retried', async () => {
    const bad = fakeXClient(fake.url, 'wrong-token', { compression: false });
    try {
      await expect(
        walkSearch(bad.client, '#Escale', null, async () => {}, { retry: FAST }),
      ).rejects.toBeInstanceOf(XAuthFailed);
      expect(fake.requests.filter((r) => r.status === 401)).toHaveLength(1);
    } finally {
      bad.agent.destroy();
    }
  });
});

const STATUS = `query { ingestionStatus { lastRunAt lastError rateLimitResetAt
  sources { id kind value active lastPolledAt cursor } } }`;
const SYNC = `mutation { syncSocialNow { lastRunAt lastError rateLimitResetAt
  sources { id kind value active lastPolledAt cursor } } }`;

describe('X polling through the app', () => {
  let fake: FakeX;
  let app: TestApp;
  let polling: SocialPollingService;
  const ingested: NormalizedPost[] = [];
  const port: SocialIngestPort = {
    ingest: async (_destinationId, items) => {
      ingested.push(...items);
    },
  };

  beforeAll(async () => {
    fake = await startFakeX(makeScenario());
    app = await startTestApp({
      env: { ROLE: 'api', X_BEARER_TOKEN: 'test-bearer-token', X_API_BASE_URL: fake.url },
    });
    polling = app.runtime.app.get(SocialPollingService);
    polling.retry = FAST;
    // Until the pipeline is wired (SOCIAL_INGEST), a recording port stands in for it.
    Object.assign(polling, { pipeline: port });
  }, BOOT_TIMEOUT);
  afterAll(async () => {
    await app?.stop();
    await fake?.stop();
  });

  it('syncSocialNow polls the destination hashtags and handles, stores cursors, reports', async () => {
    const { admin } = await seedDestination(app);
    await app.ok(
      `mutation { updateDestination(twitterHandles: ["${HANDLE}"], trackedHashtags: ["LacAnnecy"]) { id } }`,
      {},
      admin,
    );
    const { syncSocialNow } = await app.ok<any>(SYNC, {}, admin);
    expect(syncSocialNow.lastError).toBeNull();
    expect(syncSocialNow.lastRunAt).toBeTruthy();
    const kinds = syncSocialNow.sources.map((s: any) => `${s.kind}:${s.value}`).sort();
    expect(kinds).toEqual([`ACCOUNT:${HANDLE}`, 'HASHTAG:LacAnnecy', `MENTION:${HANDLE}`]);
    for (const s of syncSocialNow.sources) expect(s.lastPolledAt).toBeTruthy();

    const client = fakeXClient(fake.url, 'test-bearer-token', { compression: false });
    try {
      const tagged = await expectedIds(client.client, '#LacAnnecy');
      const ids = new Set(ingested.map((i) => i.externalId));
      for (const id of tagged) expect(ids.has(id)).toBe(true);
      const hashtag = syncSocialNow.sources.find((s: any) => s.kind === 'HASHTAG');
      expect(hashtag.cursor).toBe(tagged[0]);
    } finally {
      client.agent.destroy();
    }
    expect(ingested.some((i) => i.kind === 'MENTION')).toBe(true);

    // A second sync reads only what is new.
    const before = ingested.length;
    fake.addPost({ author_id: fake.store.toScenario().users[3].id, text: 'Baignade #LacAnnecy' });
    await app.ok(SYNC, {}, admin);
    expect(ingested.slice(before).map((i) => i.text)).toEqual(['Baignade #LacAnnecy']);
  });

  it('429 pauses that source until the reset (rateLimitResetAt) and it resumes by itself', async () => {
    const { admin } = await seedDestination(app);
    await app.ok(`mutation { trackSource(kind: HASHTAG, value: "Escale") { id } }`, {}, admin);
    fake.fail('search/recent', { status: 429, after: 1, resetInSeconds: 2 });
    const { syncSocialNow } = await app.ok<any>(SYNC, {}, admin);
    expect(syncSocialNow.rateLimitResetAt).toBeTruthy();
    expect(syncSocialNow.sources[0].cursor).toBeNull(); // nothing skipped
    const sources = app.runtime.app.get(DataSource).getRepository(TrackedSourceEntity);
    const paused = await sources.findOneByOrFail({ id: syncSocialNow.sources[0].id });
    expect(paused.pausedUntil).toBeTruthy();

    // While paused the source is not asked for.
    const count = fake.requests.length;
    await app.ok(SYNC, {}, admin);
    expect(fake.requests.length).toBe(count);

    await new Promise((r) => setTimeout(r, paused.pausedUntil!.getTime() - Date.now() + 200));
    const after = (await app.ok<any>(SYNC, {}, admin)).syncSocialNow;
    expect(after.rateLimitResetAt).toBeNull();
    expect(after.lastError).toBeNull();
    expect(after.sources[0].cursor).toBeTruthy();
    expect((await sources.findOneByOrFail({ id: paused.id })).pausedUntil).toBeNull();
  });

  it('429 without a reset time pauses that source for one rate-limit window on the app clock', async () => {
    const { admin, destination } = await seedDestination(app);
    await app.ok(`mutation { trackSource(kind: HASHTAG, value: "Escale") { id } }`, {}, admin);
    fake.fail('search/recent', { status: 429, noRateHeaders: true });
    const clock = app.runtime.app.get(Clock);
    const at = new Date(Date.now() + 3 * 86_400_000);
    const now = jest.spyOn(clock, 'now').mockReturnValue(at);
    try {
      const report = await polling.poll(destination.id);
      const until = new Date(at.getTime() + 15 * 60_000);
      expect(report.rateLimitResetAt).toEqual(until);
      const sources = app.runtime.app.get(DataSource).getRepository(TrackedSourceEntity);
      const [source] = await sources.findBy({ destinationId: destination.id });
      expect(source.pausedUntil).toEqual(until);
      expect(source.lastError).toBe(`X rate limit reached: paused until ${until.toISOString()}`);
      expect(source.cursor).toBeNull();
    } finally {
      now.mockRestore();
    }
  });

  it('401 stops the poll and ingestionStatus.lastError says so', async () => {
    const { admin } = await seedDestination(app);
    await app.ok(`mutation { trackSource(kind: QUERY, value: "ski lang:fr") { id } }`, {}, admin);
    fake.fail('*', { status: 401 });
    const { syncSocialNow } = await app.ok<any>(SYNC, {}, admin);
    expect(syncSocialNow.lastError).toMatch(/401/);
    const { ingestionStatus } = await app.ok<any>(STATUS, {}, admin);
    expect(ingestionStatus.lastError).toMatch(/401/);
    expect(ingestionStatus.sources.map((s: any) => s.kind)).toEqual([TrackKind.QUERY]);
  });
});

describe('X polling without a token', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { ROLE: 'api' } });
  }, BOOT_TIMEOUT);
  afterAll(() => app?.stop());

  it('is off, and ingestionStatus.lastError says why', async () => {
    const { admin } = await seedDestination(app);
    const { ingestionStatus } = await app.ok<any>(STATUS, {}, admin);
    expect(ingestionStatus.lastError).toBe(NO_TOKEN_ERROR);
    const { syncSocialNow } = await app.ok<any>(SYNC, {}, admin);
    expect(syncSocialNow.lastError).toBe(NO_TOKEN_ERROR);
    expect(syncSocialNow.lastRunAt).toBeTruthy();
  });
});

describe('X polling into the ingest pipeline', () => {
  let fake: FakeX;
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    fake = await startFakeX(makeScenario());
    app = await startTestApp({
      env: { ROLE: 'api', X_BEARER_TOKEN: 'test-bearer-token', X_API_BASE_URL: fake.url },
    });
    app.runtime.app.get(SocialPollingService).retry = FAST;
    db = app.runtime.app.get(DataSource);
  }, BOOT_TIMEOUT);
  afterAll(async () => {
    await app?.stop();
    await fake?.stop();
  });

  const stored = async (destinationId: string) =>
    (
      await db.query<{ external_id: string; kind: string; likes: number }[]>(
        'SELECT external_id, kind, likes FROM interactions WHERE destination_id = $1',
        [destinationId],
      )
    ).map((r) => ({ id: r.external_id, kind: r.kind, likes: r.likes }));

  it('a crash between pages, then the re-run: every post stored once, the cursor set after', async () => {
    const { admin, destination } = await seedDestination(app);
    await app.ok(`mutation { trackSource(kind: HASHTAG, value: "Escale") { id } }`, {}, admin);
    const x = fakeXClient(fake.url, 'test-bearer-token', { compression: false });
    const expected = await expectedIds(x.client, '#Escale').finally(() => x.agent.destroy());

    fake.fail('search/recent', { status: 503, after: 1, times: FAST.attempts });
    const crashed = (await app.ok<any>(SYNC, {}, admin)).syncSocialNow;
    expect(crashed.lastError).toMatch(/503/);
    expect(crashed.sources[0].cursor).toBeNull();
    const partial = await stored(destination.id);
    expect(partial.length).toBe(100); // page 1 committed, nothing else

    const done = (await app.ok<any>(SYNC, {}, admin)).syncSocialNow;
    expect(done.lastError).toBeNull();
    expect(done.sources[0].cursor).toBe(expected[0]);
    const rows = await stored(destination.id);
    expect(rows.length).toBe(expected.length);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(expected));
  });

  it("a page's evidence that failed after its interactions committed is derived by the next poll, as it would have been", async () => {
    // The evidence of each post, by what it says: comparable across destinations.
    const evidence = async (destinationId: string) =>
      (
        await db.query<{ e: string }[]>(
          `SELECT i.external_id || ' ' || n.slug || ' ' || e.kind || ' ' || e.weight AS e
             FROM interest_evidence e
             JOIN interactions i ON i.id::text = e.source_id
             JOIN interests n ON n.id = e.interest_id
            WHERE e.destination_id = $1 ORDER BY 1`,
          [destinationId],
        )
      ).map((r) => r.e);
    const backlog = async (destinationId: string) =>
      Number(
        (
          await db.query<{ n: string }[]>(
            'SELECT count(*) AS n FROM evidence_backlog WHERE destination_id = $1',
            [destinationId],
          )
        )[0].n,
      );

    const control = await seedDestination(app);
    await app.ok(
      `mutation { trackSource(kind: HASHTAG, value: "Escale") { id } }`,
      {},
      control.admin,
    );
    expect((await app.ok<any>(SYNC, {}, control.admin)).syncSocialNow.lastError).toBeNull();
    const expected = await evidence(control.destination.id);
    expect(expected.length).toBeGreaterThan(50);

    const { admin, destination } = await seedDestination(app);
    await app.ok(`mutation { trackSource(kind: HASHTAG, value: "Escale") { id } }`, {}, admin);
    const interests = app.runtime.app.get(InterestsService);
    const failing = jest
      .spyOn(interests, 'recordEvidence')
      .mockRejectedValueOnce(new Error('the worker stopped'));
    try {
      const failed = (await app.ok<any>(SYNC, {}, admin)).syncSocialNow;
      expect(failed.lastError).toMatch(/the worker stopped/);
      expect(failed.sources[0].cursor).toBeNull();
    } finally {
      failing.mockRestore();
    }
    // The walk stopped at the next batch (whose evidence was written): the failed batch's
    // interactions are committed, its evidence is missing, and owed.
    expect(await backlog(destination.id)).toBe(1);
    const partial = await evidence(destination.id);
    expect(partial.length).toBeLessThan(expected.length);

    // The re-read would not derive it (the posts are not new any more): the backlog does.
    const done = (await app.ok<any>(SYNC, {}, admin)).syncSocialNow;
    expect(done.lastError).toBeNull();
    expect((await stored(destination.id)).length).toBe(
      (await stored(control.destination.id)).length,
    );
    expect(await backlog(destination.id)).toBe(0);
    expect(await evidence(destination.id)).toEqual(expected);
  });

  it('refreshes metrics of recent posts and reads likes / retweets of the destination posts', async () => {
    const { admin, destination } = await seedDestination(app);
    await app.ok(`mutation { updateDestination(twitterHandles: ["${HANDLE}"]) { id } }`, {}, admin);
    await app.ok(SYNC, {}, admin);
    const scenario = fake.store.toScenario();
    const official = scenario.users.find((u) => u.username === HANDLE)!;
    const own = scenario.posts
      .filter((p) => p.author_id === official.id && !p.referenced_tweets?.length)
      .at(-1)!;
    const fan = scenario.users.find((u) => u.id !== official.id && !u.protected)!;
    expect((await stored(destination.id)).some((r) => r.id === own.id)).toBe(true);

    const retweeter = scenario.users.find(
      (u) => u.id !== official.id && u.id !== fan.id && !u.protected,
    )!;
    fake.setMetrics(own.id, { like_count: 999 });
    fake.like(own.id, fan.id);
    fake.retweet(own.id, retweeter.id);
    fake.like(own.id, retweeter.id);
    const status = (await app.ok<any>(SYNC, {}, admin)).syncSocialNow;
    expect(status.lastError).toBeNull();
    const rows = await stored(destination.id);
    expect(rows.find((r) => r.id === own.id)?.likes).toBeGreaterThanOrEqual(999);
    expect(rows.find((r) => r.id === `like:${own.id}:${fan.id}`)).toMatchObject({ kind: 'LIKE' });
    // Their retweet was read as a post; their like is stored all the same.
    expect(rows.find((r) => r.id === `like:${own.id}:${retweeter.id}`)).toMatchObject({
      kind: 'LIKE',
    });
    // The retweet is read once (as a post, by the @handle search), not again from retweeted_by.
    const retweets = await db.query<{ external_id: string; author: string }[]>(
      `SELECT i.external_id, si.external_id AS author FROM interactions i
         JOIN social_identities si ON si.id = i.author_identity_id
        WHERE i.destination_id = $1 AND i.kind = 'RETWEET' AND i.referenced_external_id = $2`,
      [destination.id, own.id],
    );
    const byRetweeter = retweets.filter((r) => r.author === retweeter.id);
    expect(byRetweeter).toHaveLength(1);
    expect(byRetweeter[0].external_id).toMatch(/^\d+$/);
  });

  it("counts a post's week on the app clock: the metrics refresh leaves older posts alone", async () => {
    const { admin, destination } = await seedDestination(app);
    await app.ok(`mutation { updateDestination(twitterHandles: ["${HANDLE}"]) { id } }`, {}, admin);
    // Earlier tests' polls spent the windows of this fake (the metrics lookup is rate-limited).
    fake.resetRateLimits();
    const polling = app.runtime.app.get(SocialPollingService);
    const today = await polling.poll(destination.id);
    expect(today).toMatchObject({ lastError: null, rateLimitResetAt: null });
    expect(today.refreshed).toBeGreaterThan(0);
    const clock = app.runtime.app.get(Clock);
    const now = jest.spyOn(clock, 'now').mockReturnValue(new Date(Date.now() + 30 * 86_400_000));
    try {
      // Not a 429 (which would refresh nothing either): the posts are a month old by the clock.
      const monthOn = await polling.poll(destination.id);
      expect(monthOn).toMatchObject({ lastError: null, rateLimitResetAt: null });
      expect(monthOn.refreshed).toBe(0);
      expect(monthOn.engagements).toBe(0);
    } finally {
      now.mockRestore();
    }
  });
});

describe('X polling on the job scheduler', () => {
  let fake: FakeX;
  let app: TestApp;

  beforeAll(async () => {
    fake = await startFakeX(makeScenario());
    app = await startTestApp({
      env: {
        ROLE: 'all',
        X_BEARER_TOKEN: 'test-bearer-token',
        X_API_BASE_URL: fake.url,
        SOCIAL_POLL_INTERVAL: 'PT1S',
      },
    });
  }, BOOT_TIMEOUT);
  afterAll(async () => {
    await app?.stop();
    await fake?.stop();
  });

  it('polls every SOCIAL_POLL_INTERVAL without being asked', async () => {
    const queue = app.runtime.app.get<Queue>(getQueueToken(QueueName.SOCIAL));
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.every])).toEqual([[SocialJob.POLL_ALL, 1000]]);

    const { admin } = await seedDestination(app);
    await app.ok(`mutation { trackSource(kind: HASHTAG, value: "LacAnnecy") { id } }`, {}, admin);
    const deadline = Date.now() + 30_000;
    let status: any;
    do {
      await new Promise((r) => setTimeout(r, 250));
      status = (await app.ok<any>(STATUS, {}, admin)).ingestionStatus;
    } while (!(status.sources[0]?.cursor && status.lastRunAt) && Date.now() < deadline);
    expect(status.sources[0].cursor).toBeTruthy();
    expect(status.lastRunAt).toBeTruthy();
    expect(status.lastError).toBeNull();
  });

  it('a poll paused by a 429 enqueues its resume for the reset time, counted on the app clock', async () => {
    const queue = app.runtime.app.get<Queue>(getQueueToken(QueueName.SOCIAL));
    const processor = app.runtime.app.get(SocialPollProcessor);
    const polling = app.runtime.app.get(SocialPollingService);
    const { destination } = await seedDestination(app);
    const at = new Date(Date.now() + 3 * 86_400_000);
    const resetAt = new Date(at.getTime() + 10 * 60_000);
    const now = jest.spyOn(app.runtime.app.get(Clock), 'now').mockReturnValue(at);
    const poll = jest
      .spyOn(polling, 'poll')
      .mockResolvedValue({ rateLimitResetAt: resetAt } as Awaited<ReturnType<typeof polling.poll>>);
    try {
      await processor.process({
        name: SocialJob.POLL_DESTINATION,
        data: { destinationId: destination.id },
      } as Parameters<typeof processor.process>[0]);
    } finally {
      poll.mockRestore();
      now.mockRestore();
    }
    const resume = await queue.getJob(`social-resume-${destination.id}-${resetAt.getTime()}`);
    try {
      expect(resume?.name).toBe(SocialJob.POLL_DESTINATION);
      expect(resume?.opts.delay).toBe(10 * 60_000 + 1000);
    } finally {
      await resume?.remove();
    }
  });
});
