import { setImmediate } from 'node:timers/promises';
import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  ApiPartialResponseError,
  ApiRequestError,
  ApiResponseError,
  type ApiV2Includes,
  type TweetV2,
  type TweetV2LookupResult,
  type TweetV2PaginableTimelineResult,
  type TwitterApi,
  type UserV2TimelineResult,
} from 'twitter-api-v2';
import { In, MoreThan, Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../../infra/config/config.js';
import { DestinationEntity } from '../destinations/destination.entity.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import { TrackedSourceEntity, TrackKind } from '../destinations/tracked-source.entity.js';
import { SocialProvider } from '../visitors/social-identity.entity.js';
import { IngestionStateEntity } from './ingestion-state.entity.js';
import { InteractionEntity, InteractionKind } from './interaction.entity.js';
import type { IngestOptions, NormalizedPost } from './social.types.js';
import { createXClient, type XClientHandle } from './x-client.js';
import { postFacts } from './post-facts.js';
import { mapXEngagement, mapXTweets, X_TWEET_PARAMS, X_USER_PARAMS } from './x-mapping.js';

/** The ingest pipeline as the poller sees it (SocialIngestService). */
export interface SocialIngestPort {
  ingest(destinationId: string, items: NormalizedPost[], options: IngestOptions): Promise<unknown>;
  /** ingest, resolving once the page is committed: its evidence follows (`derived`). */
  ingestStaged?(
    destinationId: string,
    items: NormalizedPost[],
    options: IngestOptions,
  ): Promise<{ derived: Promise<void> }>;
  /** Derives the evidence that pages committed without it still owe. */
  deriveBacklog?(destinationId: string): Promise<number>;
}
export const SOCIAL_INGEST = Symbol('SOCIAL_INGEST');

export const NO_TOKEN_ERROR = 'X_BEARER_TOKEN is not set: polling of X is off';
const WEEK_MS = 7 * 24 * 3600 * 1000;

// ------------------------------------------------------------------------------- the walk ----

/** X told us to wait (429): until resetAt, X's `x-rate-limit-reset`, null when it sent none. */
export class XRateLimited extends Error {
  constructor(readonly resetAt: Date | null) {
    super('X rate limit reached');
  }
}
/** How long a 429 without a reset time pauses a source: X's rate-limit window. */
const RATE_LIMIT_WINDOW_MS = 15 * 60_000;
/** 401/403: the token is refused; retrying will not help. */
export class XAuthFailed extends Error {}

export interface RetryOptions {
  /** Attempts for 5xx / network errors, the first included. */
  attempts: number;
  baseDelayMs: number;
}
export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 250 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One X call: 429 → XRateLimited, 401/403 → XAuthFailed, 5xx and network errors (connection
 * reset, a page cut mid-body) retried with exponential backoff, then rethrown. Other 4xx rethrown.
 */
export async function xCall<T>(call: () => Promise<T>, retry: RetryOptions = DEFAULT_RETRY) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ApiResponseError) {
        if (error.code === 429 || error.rateLimitError) {
          const reset = error.rateLimit?.reset;
          throw new XRateLimited(reset ? new Date(reset * 1000) : null);
        }
        if (error.code === 401 || error.code === 403) {
          const detail = (error.data as { detail?: string; title?: string } | undefined) ?? {};
          throw new XAuthFailed(
            `X API refused the token (${error.code} ${detail.detail ?? detail.title ?? 'Unauthorized'})`,
          );
        }
        if (error.code < 500 || attempt >= retry.attempts) throw error;
      } else if (
        !(error instanceof ApiRequestError || error instanceof ApiPartialResponseError) ||
        attempt >= retry.attempts
      ) {
        throw error;
      }
      await sleep(retry.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}

export interface WalkResult {
  /** The cursor to store once every page is committed: newest_id of the first page. */
  newestId: string | null;
  pages: number;
  posts: number;
  /** Partial errors of 200 answers (deleted referenced posts, protected accounts…). */
  partialErrors: number;
  /** The stored since_id was older than the 7 days search/recent sees: walked without it. */
  cursorDropped: boolean;
}

/** Posts a walk reads (postFacts) between two turns of the event loop. */
const PREPARE_SLICE = 20;

/**
 * A committed batch holds at most this many posts (ten pages of 100). A batch's fixed cost (its
 * statements' planning, the statement triggers, the locks) is shared by its posts: on the ingest
 * benchmark's poll, batches of 1,000 did ~10 % more posts a second than batches of 500, and 2,000
 * hardly more than 1,000 — while the transaction, which holds the destination's ingest lock and
 * its visitors' rows, grows with it.
 */
export const WALK_BATCH_POSTS = 1000;

export interface WalkOptions<P> {
  retry?: RetryOptions;
  /** Most posts handed to one onPages call (default WALK_BATCH_POSTS). */
  batchPosts?: number;
  /**
   * Runs on each page as soon as it is fetched, while earlier pages are still being committed;
   * what it returns reaches onPages with the page. A failure stops the walk like a failed fetch.
   */
  prepare?: (tweets: TweetV2[], includes: ApiV2Includes | undefined) => P | Promise<P>;
}

/**
 * Walks every page of search/recent newer than `sinceId`, newest first. `onPages` commits pages
 * in order (several at once, see below); the new cursor is returned, not stored: the caller
 * stores it only after the whole walk, so a crash mid-walk re-reads (upserts make that harmless)
 * and never skips.
 *
 * Pages are asked for while earlier ones are being committed (at most two batches ahead). When
 * `onPages` is free it takes every page already fetched, up to `batchPosts` posts, in one call: a
 * walk that keeps up with X commits page by page, one that has a backlog commits several pages per
 * transaction (the pipeline's fixed cost per call is then shared). A fetch that fails (after its
 * retries) stops the walk once the pages fetched before it are committed.
 */
export async function walkSearch<P = undefined>(
  client: TwitterApi,
  query: string,
  sinceId: string | null,
  onPages: (tweets: TweetV2[], includes: ApiV2Includes | undefined, prepared: P[]) => Promise<void>,
  options: WalkOptions<P> = {},
): Promise<WalkResult> {
  const { retry = DEFAULT_RETRY, batchPosts = WALK_BATCH_POSTS, prepare } = options;
  const result: WalkResult = {
    newestId: sinceId,
    pages: 0,
    posts: 0,
    partialErrors: 0,
    cursorDropped: false,
  };
  let since = sinceId;
  let nextToken: string | undefined;
  const fetchPage = () => {
    const params: Record<string, string | number> = { ...X_TWEET_PARAMS, query, max_results: 100 };
    if (since) params.since_id = since;
    if (nextToken) params.next_token = nextToken;
    return xCall(
      () => client.v2.get<TweetV2PaginableTimelineResult>('tweets/search/recent', params),
      retry,
    );
  };

  interface Fetched {
    page: TweetV2PaginableTimelineResult;
    prepared: P;
  }
  const ready: Fetched[] = [];
  let buffered = 0;
  let fetched = false;
  let fetchError: unknown;
  let stopped = false;
  // The fetcher waits for room, the committer for pages: a resolver each, called when that changes.
  let roomMade: (() => void) | undefined;
  let pageCame: (() => void) | undefined;
  const makeRoom = () => roomMade?.();
  const pageCome = () => pageCame?.();

  const fetcher = (async () => {
    try {
      for (;;) {
        while (buffered >= 2 * batchPosts && !stopped)
          await new Promise<void>((resolve) => (roomMade = resolve));
        if (stopped) return;
        let page: TweetV2PaginableTimelineResult;
        try {
          page = await fetchPage();
        } catch (error) {
          // A since_id older than the 7-day window is a 400 on since_id: drop it and start over.
          if (
            since &&
            !nextToken &&
            error instanceof ApiResponseError &&
            error.code === 400 &&
            JSON.stringify(error.data ?? '').includes('since_id')
          ) {
            since = null;
            result.cursorDropped = true;
            result.newestId = null;
            continue;
          }
          throw error;
        }
        const count = page.data?.length ?? 0;
        result.partialErrors += page.errors?.length ?? 0;
        if (result.pages === 0 && page.meta?.newest_id) result.newestId = page.meta.newest_id;
        result.pages++;
        nextToken = page.meta?.next_token;
        if (count) {
          const prepared = prepare
            ? await prepare(page.data ?? [], page.includes)
            : (undefined as P);
          ready.push({ page, prepared });
          buffered += count;
          pageCome();
        }
        if (!nextToken || !count) return;
      }
    } catch (error) {
      fetchError = error;
    } finally {
      fetched = true;
      pageCome();
    }
  })();

  try {
    for (;;) {
      while (!ready.length && !fetched) await new Promise<void>((resolve) => (pageCame = resolve));
      if (!ready.length) break;
      const batch = [ready.shift() as Fetched];
      let posts = batch[0].page.data?.length ?? 0;
      while (ready.length && posts + (ready[0].page.data?.length ?? 0) <= batchPosts) {
        const next = ready.shift() as Fetched;
        posts += next.page.data?.length ?? 0;
        batch.push(next);
      }
      buffered -= posts;
      makeRoom();
      const tweets = batch.flatMap((f) => f.page.data ?? []);
      await onPages(
        tweets,
        mergeIncludes(batch.map((f) => f.page.includes)),
        batch.map((f) => f.prepared),
      );
      result.posts += tweets.length;
    }
  } finally {
    stopped = true;
    makeRoom();
    await fetcher;
  }
  if (fetchError) throw fetchError;
  return result;
}

/** The includes of several pages, as one (the mapping looks users and posts up by id). */
function mergeIncludes(all: (ApiV2Includes | undefined)[]): ApiV2Includes | undefined {
  const present = all.filter((i): i is ApiV2Includes => !!i);
  if (present.length <= 1) return present[0];
  const merged: Record<string, unknown[]> = {};
  for (const includes of present) {
    for (const [key, value] of Object.entries(includes)) {
      if (Array.isArray(value)) (merged[key] ??= []).push(...(value as unknown[]));
    }
  }
  return merged as ApiV2Includes;
}

/**
 * One tracked source's walk into the ingest pipeline, as a poll does it: each page mapped as soon
 * as it is fetched (while the previous batch commits), committed in batches. With a staged
 * pipeline, a batch's interactions are committed while the evidence of the batch before is being
 * written (at most one batch's evidence in flight); the walk ends when all of it is written.
 */
export async function walkIntoPipeline(
  client: TwitterApi,
  pipeline: SocialIngestPort,
  walk: {
    destinationId: string;
    query: string;
    sinceId: string | null;
    watchedHandles: readonly string[];
    retry?: RetryOptions;
  },
): Promise<WalkResult> {
  const { destinationId } = walk;
  let deriving: Promise<void> | undefined;
  try {
    const result = await walkSearch<NormalizedPost[]>(
      client,
      walk.query,
      walk.sinceId,
      async (_tweets, _includes, pages) => {
        const items = pages.flat();
        if (!pipeline.ingestStaged) {
          await pipeline.ingest(destinationId, items, { source: 'x' });
          return;
        }
        const { derived } = await pipeline.ingestStaged(destinationId, items, { source: 'x' });
        derived.catch(() => undefined); // awaited by the next batch, or at the end
        const previous = deriving;
        deriving = derived;
        await previous;
      },
      {
        retry: walk.retry,
        // Mapped, and their text read, while the previous batch commits: a few posts at a time, so
        // that the batch being committed gets its statements' answers in between.
        prepare: async (tweets, includes) => {
          const items = mapXTweets(tweets, includes, { watchedHandles: walk.watchedHandles });
          for (let i = 0; i < items.length; i++) {
            if (i && i % PREPARE_SLICE === 0) await setImmediate();
            items[i].facts = postFacts(items[i].text);
          }
          return items;
        },
      },
    );
    await deriving;
    return result;
  } finally {
    // A walk that failed still lets the evidence in flight finish (its error is the walk's own).
    await deriving?.catch(() => undefined);
  }
}

/** The search/recent query of a tracked source. */
export function sourceQuery(source: Pick<TrackedSourceEntity, 'kind' | 'value'>): string {
  switch (source.kind) {
    case TrackKind.HASHTAG:
      return `#${source.value.replace(/^#/, '')}`;
    case TrackKind.MENTION:
      return `@${source.value.replace(/^@/, '')}`;
    case TrackKind.ACCOUNT:
      return `from:${source.value.replace(/^@/, '')}`;
    case TrackKind.QUERY:
      return source.value;
  }
}

/** Reads every user of a paged user list (liking_users / retweeted_by). */
async function allUsers(client: TwitterApi, path: string, retry: RetryOptions) {
  const users: NonNullable<UserV2TimelineResult['data']> = [];
  let token: string | undefined;
  for (let i = 0; i < 50; i++) {
    const params: Record<string, string | number> = { ...X_USER_PARAMS, max_results: 100 };
    if (token) params.pagination_token = token;
    const page = await xCall(() => client.v2.get<UserV2TimelineResult>(path, params), retry);
    users.push(...(page.data ?? []));
    token = page.meta?.next_token;
    if (!token || !page.data?.length) break;
  }
  return users;
}

// ---------------------------------------------------------------------------- the service ----

export interface PollReport {
  destinationId: string;
  sources: number;
  posts: number;
  refreshed: number;
  engagements: number;
  rateLimitResetAt: Date | null;
  lastError: string | null;
}

/**
 * Polls X for a destination: every active tracked source not paused (destination hashtags and
 * handles and place handles are tracked automatically), then refreshes the metrics of its posts
 * younger than 7 days and reads the likes / retweets of its own posts. Runs from the BullMQ job
 * and from syncSocialNow; runs of one destination in this process are serialised.
 */
@Injectable()
export class SocialPollingService implements OnApplicationShutdown {
  private readonly logger = new Logger(SocialPollingService.name);
  private handle?: XClientHandle;
  private readonly running = new Map<string, Promise<PollReport>>();
  /** Tests shorten the backoff. */
  retry: RetryOptions = DEFAULT_RETRY;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(TrackedSourceEntity)
    private readonly sources: Repository<TrackedSourceEntity>,
    @InjectRepository(IngestionStateEntity)
    private readonly states: Repository<IngestionStateEntity>,
    @InjectRepository(InteractionEntity)
    private readonly interactions: Repository<InteractionEntity>,
    @InjectRepository(DestinationEntity)
    private readonly destinations: Repository<DestinationEntity>,
    @InjectRepository(PlaceEntity)
    private readonly places: Repository<PlaceEntity>,
    private readonly clock: Clock,
    @Optional() @Inject(SOCIAL_INGEST) private readonly pipeline?: SocialIngestPort,
  ) {}

  get enabled(): boolean {
    return !!this.config.xBearerToken;
  }

  get client(): TwitterApi | null {
    if (!this.config.xBearerToken) return null;
    this.handle ??= createXClient(this.config.xBearerToken, this.config.xApiBaseUrl);
    return this.handle.client;
  }

  onApplicationShutdown(): void {
    this.handle?.close();
  }

  async destinationIds(): Promise<string[]> {
    return (await this.destinations.find({ select: { id: true } })).map((d) => d.id);
  }

  /** The ingestion status of a destination (ingestionStatus). */
  async status(destinationId: string) {
    const [sources, state] = await Promise.all([
      this.sources.find({ where: { destinationId }, order: { createdAt: 'ASC' } }),
      this.states.findOneBy({ destinationId }),
    ]);
    const reset = state?.rateLimitResetAt;
    return {
      sources,
      lastRunAt: state?.lastRunAt ?? null,
      lastError: this.enabled ? (state?.lastError ?? null) : NO_TOKEN_ERROR,
      rateLimitResetAt: reset && reset.getTime() > this.clock.now().getTime() ? reset : null,
    };
  }

  /** Polls now; a poll of the same destination already running is joined, not doubled. */
  poll(destinationId: string): Promise<PollReport> {
    const running = this.running.get(destinationId);
    if (running) return running;
    const run = this.pollOnce(destinationId).finally(() => this.running.delete(destinationId));
    this.running.set(destinationId, run);
    return run;
  }

  private async pollOnce(destinationId: string): Promise<PollReport> {
    const report: PollReport = {
      destinationId,
      sources: 0,
      posts: 0,
      refreshed: 0,
      engagements: 0,
      rateLimitResetAt: null,
      lastError: null,
    };
    const client = this.client;
    if (!client) {
      report.lastError = NO_TOKEN_ERROR;
      await this.saveState(destinationId, report);
      return report;
    }
    const watched = await this.syncDerivedSources(destinationId);
    // Evidence owed by pages committed without it (a worker stopped between the two halves of a
    // page's ingest): before the walks, whose re-read of those pages would not derive it.
    await this.port.deriveBacklog?.(destinationId).catch((error: unknown) => {
      this.logger.error(`evidence backlog of ${destinationId}: ${describe(error)}`);
    });
    const now = this.clock.now();
    const active = await this.sources.find({ where: { destinationId, active: true } });
    let transient: unknown = null;
    for (const source of active) {
      if (source.pausedUntil && source.pausedUntil.getTime() > now.getTime()) {
        report.rateLimitResetAt = later(report.rateLimitResetAt, source.pausedUntil);
        continue;
      }
      report.sources++;
      try {
        const walk = await walkIntoPipeline(client, this.port, {
          destinationId,
          query: sourceQuery(source),
          sinceId: source.cursor,
          watchedHandles: watched,
          retry: this.retry,
        });
        report.posts += walk.posts;
        // Every page is committed: now, and only now, the cursor moves.
        await this.sources.update(
          { id: source.id },
          {
            cursor: walk.newestId,
            lastPolledAt: this.clock.now(),
            pausedUntil: null,
            lastError: null,
          },
        );
      } catch (error) {
        if (error instanceof XRateLimited) {
          const until = this.pausedUntil(error);
          report.rateLimitResetAt = later(report.rateLimitResetAt, until);
          await this.sources.update(
            { id: source.id },
            {
              pausedUntil: until,
              lastError: `${error.message}: paused until ${until.toISOString()}`,
            },
          );
          continue;
        }
        const message = describe(error);
        await this.sources.update({ id: source.id }, { lastError: message });
        report.lastError = message;
        if (error instanceof XAuthFailed) break; // the token is app-wide: stop here
        transient ??= error;
      }
    }
    if (!report.lastError) {
      try {
        const refresh = await this.refreshRecent(client, destinationId, watched);
        report.refreshed = refresh.refreshed;
        report.engagements = refresh.engagements;
      } catch (error) {
        if (error instanceof XRateLimited) {
          report.rateLimitResetAt = later(report.rateLimitResetAt, this.pausedUntil(error));
        } else {
          report.lastError = describe(error);
          if (!(error instanceof XAuthFailed)) transient ??= error;
        }
      }
    }
    await this.saveState(destinationId, report);
    // 5xx / network errors that outlived the retries: fail the job so BullMQ retries it later.
    if (transient) throw transient instanceof Error ? transient : new Error(String(transient));
    return report;
  }

  /** The end of a 429's pause: X's reset time, or one rate-limit window on the app clock. */
  private pausedUntil(error: XRateLimited): Date {
    return error.resetAt ?? new Date(this.clock.now().getTime() + RATE_LIMIT_WINDOW_MS);
  }

  /**
   * The destination's hashtags (HASHTAG), its handles (MENTION and ACCOUNT) and its places'
   * handles (MENTION) are tracked sources too; a source untracked by hand stays untracked.
   * Returns the handles whose mention makes a post a MENTION.
   */
  private async syncDerivedSources(destinationId: string): Promise<string[]> {
    const destination = await this.destinations.findOneByOrFail({ id: destinationId });
    const places = await this.places.find({
      where: { destinationId },
      select: { twitterHandle: true },
    });
    const placeHandles = places.map((p) => p.twitterHandle).filter((h): h is string => !!h);
    const rows: Array<{ kind: TrackKind; value: string }> = [
      ...destination.trackedHashtags.map((value) => ({ kind: TrackKind.HASHTAG, value })),
      ...destination.twitterHandles.flatMap((value) => [
        { kind: TrackKind.MENTION, value },
        { kind: TrackKind.ACCOUNT, value },
      ]),
      ...placeHandles.map((value) => ({ kind: TrackKind.MENTION, value })),
    ];
    if (rows.length) {
      await this.sources
        .createQueryBuilder()
        .insert()
        .values(
          rows.map((r) => ({
            destinationId,
            kind: r.kind,
            value: r.value.replace(/^[#@]/, ''),
            normalizedValue: r.value.replace(/^[#@]/, '').toLowerCase(),
            active: true,
          })),
        )
        .orIgnore()
        .execute();
    }
    return [...destination.twitterHandles, ...placeHandles];
  }

  /**
   * Metrics of the destination's posts younger than 7 days (tweets lookup by ids, 100 at a time,
   * re-ingested: upserts update metrics), and the likes / retweets of its own posts among them.
   */
  private async refreshRecent(client: TwitterApi, destinationId: string, watched: string[]) {
    const since = this.clock.now().getTime() - WEEK_MS;
    const rows = await this.interactions.find({
      select: { externalId: true },
      where: {
        destinationId,
        provider: SocialProvider.TWITTER,
        kind: In([
          InteractionKind.POST,
          InteractionKind.REPLY,
          InteractionKind.QUOTE,
          InteractionKind.MENTION,
        ]),
        occurredAt: MoreThan(new Date(since)),
      },
      order: { occurredAt: 'DESC' },
      take: 2000,
    });
    const ids = rows.map((r) => r.externalId).filter((id) => /^\d+$/.test(id));
    const own = new Set(
      (await this.destinations.findOneByOrFail({ id: destinationId })).twitterHandles.map((h) =>
        h.toLowerCase(),
      ),
    );
    let refreshed = 0;
    let engagements = 0;
    // Committed WALK_BATCH_POSTS at a time, as a walk's pages are (a fraction of the statements).
    const metrics = new Batches<NormalizedPost>(WALK_BATCH_POSTS, async (batch) => {
      await this.ingest(destinationId, batch);
      refreshed += batch.length;
    });
    // Likes and retweets are read post by post (X has no batch endpoint for them), then stored
    // together, without the retweets already read as posts (search): they are not counted twice.
    const engagement = new Batches<NormalizedPost>(WALK_BATCH_POSTS, async (batch) => {
      const known = await this.retweetsReadAsPosts(
        destinationId,
        batch.filter((e) => e.kind === InteractionKind.RETWEET),
      );
      const items = batch.filter(
        (e) =>
          e.kind !== InteractionKind.RETWEET ||
          !known.has(`${e.referencedExternalId}|${e.authorExternalId}`),
      );
      if (!items.length) return;
      await this.ingest(destinationId, items);
      engagements += items.length;
    });
    const ownPosts: NormalizedPost[] = [];
    // What was read before a failure is kept; the failure is what the poll reports.
    await keepOnFailure(metrics, this.logger, async () => {
      for (let i = 0; i < ids.length; i += 100) {
        const chunk = ids.slice(i, i + 100);
        const page = await xCall(
          () =>
            client.v2.get<TweetV2LookupResult>('tweets', {
              ...X_TWEET_PARAMS,
              ids: chunk.join(','),
            }),
          this.retry,
        );
        const recent = (page.data ?? []).filter(
          (t) => !t.created_at || new Date(t.created_at).getTime() >= since,
        );
        const items = mapXTweets(recent, page.includes, { watchedHandles: watched });
        for (const item of items) {
          if (item.kind === InteractionKind.RETWEET) continue;
          if (item.authorHandle && own.has(item.authorHandle.toLowerCase())) ownPosts.push(item);
        }
        await metrics.add(items);
      }
    });
    await keepOnFailure(engagement, this.logger, async () => {
      for (const item of ownPosts) {
        const seenAt = this.clock.now();
        const likers = await allUsers(client, `tweets/${item.externalId}/liking_users`, this.retry);
        const retweeters = await allUsers(
          client,
          `tweets/${item.externalId}/retweeted_by`,
          this.retry,
        );
        await engagement.add([
          ...mapXEngagement(InteractionKind.LIKE, item.externalId, likers, seenAt),
          ...mapXEngagement(InteractionKind.RETWEET, item.externalId, retweeters, seenAt),
        ]);
      }
    });
    return { refreshed, engagements };
  }

  /**
   * Which of these retweets (from retweeted_by) are already stored as posts read by a search:
   * keys `post|retweeter`, in one query for the whole batch.
   */
  private async retweetsReadAsPosts(
    destinationId: string,
    retweets: NormalizedPost[],
  ): Promise<Set<string>> {
    if (!retweets.length) return new Set();
    const posts = [...new Set(retweets.map((r) => r.referencedExternalId as string))];
    const rows = await this.interactions.query<{ post: string; author: string }[]>(
      `SELECT i.referenced_external_id AS post, si.external_id AS author
         FROM interactions i
         JOIN social_identities si ON si.id = i.author_identity_id
        WHERE i.destination_id = $1 AND i.provider = 'TWITTER' AND i.kind = 'RETWEET'
          AND i.referenced_external_id = ANY($2::text[]) AND i.external_id NOT LIKE 'retweet:%'`,
      [destinationId, posts],
    );
    return new Set(rows.map((r) => `${r.post}|${r.author}`));
  }

  private async ingest(destinationId: string, items: NormalizedPost[]): Promise<void> {
    await this.port.ingest(destinationId, items, { source: 'x' });
  }

  private get port(): SocialIngestPort {
    if (!this.pipeline) throw new Error('the social ingest pipeline is not available');
    return this.pipeline;
  }

  private async saveState(destinationId: string, report: PollReport): Promise<void> {
    await this.states.upsert(
      {
        destinationId,
        lastRunAt: this.clock.now(),
        lastError: report.lastError,
        rateLimitResetAt: report.rateLimitResetAt,
      },
      ['destinationId'],
    );
  }
}

/** Collects items and writes them `size` at a time (the rest on `flush`). */
class Batches<T> {
  private pending: T[] = [];
  constructor(
    private readonly size: number,
    private readonly write: (batch: T[]) => Promise<void>,
  ) {}

  async add(items: T[]): Promise<void> {
    this.pending.push(...items);
    if (this.pending.length >= this.size) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    if (batch.length) await this.write(batch);
  }
}

/**
 * Runs `read`, then writes what is left in `batches`; when `read` fails, what it had read is
 * written all the same (a failure to write it is logged) before the failure goes on.
 */
async function keepOnFailure<T>(batches: Batches<T>, logger: Logger, read: () => Promise<void>) {
  try {
    await read();
  } catch (error) {
    await batches.flush().catch((e: unknown) => logger.warn(`refresh not saved: ${describe(e)}`));
    throw error;
  }
  await batches.flush();
}

function later(a: Date | null, b: Date): Date {
  return a && a.getTime() > b.getTime() ? a : b;
}

function describe(error: unknown): string {
  if (error instanceof ApiResponseError) {
    const data = error.data as { detail?: string; title?: string } | undefined;
    return `X API error ${error.code}: ${data?.detail ?? data?.title ?? error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
