import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { FIELD_LISTS, TWEET_EXPANSIONS, USER_EXPANSIONS } from './fields.js';
import { QueryError } from './query.js';
import { compareIds, ID_PATTERN, snowflake } from './snowflake.js';
import { FakeXStore, resourceError, type NewPost } from './store.js';
import type {
  ApiObject,
  Scenario,
  ScenarioPost,
  ScenarioUser,
  SentDm,
  TweetPublicMetrics,
  UserPublicMetrics,
} from './types.js';

/** The endpoints the fake serves; these names key rate limits, faults and the request log. */
export const ENDPOINTS = [
  'search/recent',
  'users/:id/mentions',
  'users/by/username/:username',
  'users',
  'users/me',
  'tweets',
  'tweets/:id',
  'tweets/:id/retweeted_by',
  'tweets/:id/liking_users',
  'tweets/:id/quote_tweets',
  'dm_conversations/with/:participant_id/messages',
] as const;
export type EndpointKey = (typeof ENDPOINTS)[number];

/** Requests per 15-minute window (app-level for reads, per user for users/me and DMs). */
export const DEFAULT_RATE_LIMITS: Record<EndpointKey, number> = {
  'search/recent': 450,
  'users/:id/mentions': 450,
  'users/by/username/:username': 300,
  users: 300,
  'users/me': 75,
  tweets: 300,
  'tweets/:id': 300,
  'tweets/:id/retweeted_by': 75,
  'tweets/:id/liking_users': 75,
  'tweets/:id/quote_tweets': 75,
  'dm_conversations/with/:participant_id/messages': 200,
};
const DM_DAILY_LIMIT = 1000;

export interface FakeXOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** App-only bearer tokens accepted for reads. Default ['test-bearer-token']. */
  appTokens?: string[];
  /**
   * OAuth 2.0 user-context bearer tokens → the user (id or username) they act as; needed for
   * DMs and users/me. Default { 'test-user-token': scenario.owner ?? first user }. OAuth 1.0a
   * headers are accepted too: the user is the part of `oauth_token` before '-', as on X.
   */
  userTokens?: Record<string, string>;
  /** Overrides of DEFAULT_RATE_LIMITS. */
  rateLimits?: Partial<Record<EndpointKey, number>>;
  /** Rate-limit window, default 900 s. */
  windowSeconds?: number;
  /** Starts the data clock at this instant (it then runs in real time). Default scenario.now or real time. */
  now?: Date | string | number;
  /** gzip answers when the client accepts it, as X does. Default true. */
  compression?: boolean;
  /** How far back search/recent sees, default 7 days. */
  recentDays?: number;
}

/** A scripted failure for the next call(s) of an endpoint. */
export interface FaultSpec {
  /** HTTP status to answer with (429, 401, 403, 500, 503…), a problem+json body. */
  status?: number;
  /** 'mid-body': headers and half the body, then the socket is destroyed; 'before-response': destroyed at once. */
  cut?: 'mid-body' | 'before-response';
  /** Wait before answering (alone: a slow but normal answer). */
  delayMs?: number;
  /** How many calls fail, default 1. */
  times?: number;
  /** Let this many calls through first, default 0 (e.g. 1 = fail the second page). */
  after?: number;
  /** 429: x-rate-limit-reset = now + this (default 60 s)… */
  resetInSeconds?: number;
  /** …or this Unix time in seconds. */
  resetAt?: number;
  /** 429 without any x-rate-limit-* header (as a proxy in front of X that strips them). */
  noRateHeaders?: boolean;
  /** Replaces the default problem body. */
  body?: unknown;
}

export interface RequestRecord {
  method: string;
  endpoint: EndpointKey | null;
  /** Path and query string as received. */
  url: string;
  status: number;
  at: number;
  fault?: string;
}

interface Auth {
  kind: 'app' | 'user';
  key: string;
  userId?: string;
}

interface Answer {
  status: number;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

interface Window {
  limit: number;
  remaining: number;
  reset: number; // unix s
}

const PROBLEM = 'application/problem+json';
const JSON_TYPE = 'application/json; charset=utf-8';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function problem(status: number, detail?: string, title?: string, type = 'about:blank'): Answer {
  const t = title ?? TITLES[status] ?? 'Error';
  return { status, contentType: PROBLEM, body: { title: t, detail: detail ?? t, type, status } };
}

class BadRequest extends Error {
  constructor(readonly errors: { parameters: Record<string, string[]>; message: string }[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

function invalid(parameter: string, value: string, message: string): BadRequest {
  return new BadRequest([{ parameters: { [parameter]: [value] }, message }]);
}

function badRequestAnswer(e: BadRequest): Answer {
  return {
    status: 400,
    contentType: PROBLEM,
    body: {
      errors: e.errors,
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: 'https://api.twitter.com/2/problems/invalid-request',
    },
  };
}

const COMMON_TWEET_PARAMS = [
  'expansions',
  'tweet.fields',
  'user.fields',
  'place.fields',
  'media.fields',
  'poll.fields',
];
const COMMON_USER_PARAMS = ['expansions', 'tweet.fields', 'user.fields'];

/** Query parameters each endpoint accepts (X refuses any other with a 400). */
const ALLOWED_PARAMS: Record<EndpointKey, string[]> = {
  'search/recent': [
    'query',
    'start_time',
    'end_time',
    'since_id',
    'until_id',
    'max_results',
    'next_token',
    'pagination_token',
    'sort_order',
    ...COMMON_TWEET_PARAMS,
  ],
  'users/:id/mentions': [
    'since_id',
    'until_id',
    'start_time',
    'end_time',
    'max_results',
    'pagination_token',
    ...COMMON_TWEET_PARAMS,
  ],
  'users/by/username/:username': COMMON_USER_PARAMS,
  users: ['ids', ...COMMON_USER_PARAMS],
  'users/me': COMMON_USER_PARAMS,
  tweets: ['ids', ...COMMON_TWEET_PARAMS],
  'tweets/:id': COMMON_TWEET_PARAMS,
  'tweets/:id/retweeted_by': ['max_results', 'pagination_token', ...COMMON_TWEET_PARAMS],
  'tweets/:id/liking_users': ['max_results', 'pagination_token', ...COMMON_TWEET_PARAMS],
  'tweets/:id/quote_tweets': ['max_results', 'pagination_token', 'exclude', ...COMMON_TWEET_PARAMS],
  'dm_conversations/with/:participant_id/messages': [],
};

/** Endpoints whose `data` are posts (the others answer users). */
const TWEET_RESULTS = new Set<EndpointKey>([
  'search/recent',
  'users/:id/mentions',
  'tweets',
  'tweets/:id',
  'tweets/:id/quote_tweets',
]);

const ROUTES: { key: EndpointKey; method: string; re: RegExp }[] = [
  { key: 'search/recent', method: 'GET', re: /^\/2\/tweets\/search\/recent$/ },
  { key: 'users/me', method: 'GET', re: /^\/2\/users\/me$/ },
  { key: 'users/by/username/:username', method: 'GET', re: /^\/2\/users\/by\/username\/([^/]+)$/ },
  { key: 'users/:id/mentions', method: 'GET', re: /^\/2\/users\/([^/]+)\/mentions$/ },
  { key: 'users', method: 'GET', re: /^\/2\/users$/ },
  { key: 'tweets/:id/retweeted_by', method: 'GET', re: /^\/2\/tweets\/([^/]+)\/retweeted_by$/ },
  { key: 'tweets/:id/liking_users', method: 'GET', re: /^\/2\/tweets\/([^/]+)\/liking_users$/ },
  { key: 'tweets/:id/quote_tweets', method: 'GET', re: /^\/2\/tweets\/([^/]+)\/quote_tweets$/ },
  { key: 'tweets', method: 'GET', re: /^\/2\/tweets$/ },
  { key: 'tweets/:id', method: 'GET', re: /^\/2\/tweets\/([^/]+)$/ },
  {
    key: 'dm_conversations/with/:participant_id/messages',
    method: 'POST',
    re: /^\/2\/dm_conversations\/with\/([^/]+)\/messages$/,
  },
];

/* ---------- parameters ---------- */

class Params {
  constructor(private readonly q: URLSearchParams) {}
  get(name: string): string | undefined {
    return this.q.get(name) ?? undefined;
  }
  list(name: string): string[] {
    const v = this.q.get(name);
    return v ? v.split(',').filter(Boolean) : [];
  }
  checkAllowed(endpoint: EndpointKey): void {
    const allowed = ALLOWED_PARAMS[endpoint];
    const errors: BadRequest['errors'] = [];
    for (const [name, value] of this.q) {
      if (!allowed.includes(name))
        errors.push({
          parameters: { [name]: [value] },
          message: `The query parameter [${name}] is not one of [${allowed.join(',')}]`,
        });
      else if (FIELD_LISTS[name] || name === 'expansions') {
        const valid =
          name === 'expansions'
            ? TWEET_RESULTS.has(endpoint)
              ? TWEET_EXPANSIONS
              : USER_EXPANSIONS
            : FIELD_LISTS[name];
        for (const item of this.list(name))
          if (!valid.includes(item))
            errors.push({
              parameters: { [name]: [item] },
              message: `The \`${name}\` query parameter value [${item}] is not one of [${valid.join(',')}]`,
            });
      }
    }
    if (errors.length) throw new BadRequest(errors);
  }
  id(name: string): string | undefined {
    const v = this.get(name);
    if (v !== undefined && !ID_PATTERN.test(v))
      throw invalid(
        name,
        v,
        `The \`${name}\` query parameter value [${v}] does not match ^[0-9]{1,19}$`,
      );
    return v;
  }
  time(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms) || !/^\d{4}-\d\d-\d\dT/.test(v))
      throw invalid(
        name,
        v,
        `The \`${name}\` query parameter value [${v}] is not a valid RFC 3339 date-time`,
      );
    return ms;
  }
  maxResults(min: number, max: number, dflt: number): number {
    const v = this.get('max_results');
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max)
      throw invalid(
        'max_results',
        v,
        `The \`max_results\` query parameter value [${v}] is not between ${min} and ${max}`,
      );
    return n;
  }
}

/* ---------- pagination ---------- */

interface Cursor {
  e: EndpointKey;
  k: string;
  b: string; // boundary id (exclusive)
  d: 'n' | 'p';
}

function encodeToken(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeToken(token: string, name: string, endpoint: EndpointKey, key: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString()) as Cursor;
    if (c.e === endpoint && c.k === key && ID_PATTERN.test(c.b) && (c.d === 'n' || c.d === 'p'))
      return c;
  } catch {
    /* fall through */
  }
  throw invalid(name, token, `The \`${name}\` query parameter value [${token}] is not valid`);
}

/** Index of the first id (in a newest-first list) that is < boundary (or <= when inclusive). */
function firstBelow(ids: string[], boundary: string, inclusive: boolean): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = compareIds(ids[mid], boundary);
    if (c > 0 || (c === 0 && !inclusive)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One page of `ids` (newest first, filtered by `keep`) after/before a cursor. */
function page(
  ids: string[],
  max: number,
  cursor: Cursor | undefined,
  keep: (id: string) => boolean = () => true,
): { items: string[]; full: boolean } {
  const items: string[] = [];
  if (cursor?.d === 'p') {
    for (let i = firstBelow(ids, cursor.b, true) - 1; i >= 0 && items.length < max; i--)
      if (keep(ids[i])) items.unshift(ids[i]);
    return { items, full: false };
  }
  for (let i = cursor ? firstBelow(ids, cursor.b, false) : 0; i < ids.length; i++) {
    if (!keep(ids[i])) continue;
    items.push(ids[i]);
    if (items.length === max) break;
  }
  return { items, full: items.length === max };
}

/* ---------- the fake ---------- */

export interface FakeX {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  port: number;
  store: FakeXStore;
  stop(): Promise<void>;
  addPost(post: NewPost): ScenarioPost;
  addUser(user: ScenarioUser): ScenarioUser;
  retweet(postId: string, user: string): ScenarioPost;
  like(postId: string, user: string): void;
  setMetrics(postId: string, metrics: Partial<TweetPublicMetrics>): ScenarioPost;
  setUserMetrics(user: string, metrics: Partial<UserPublicMetrics>): ScenarioUser;
  deletePost(postId: string): void;
  /** Scripts a failure of the next call(s) of an endpoint ('*' = any endpoint). */
  fail(endpoint: EndpointKey | '*', fault: FaultSpec): void;
  /** Empties the endpoint's window: every call answers 429 until the reset (real time) passes. */
  exhaustRateLimit(endpoint: EndpointKey, resetInSeconds?: number): void;
  /** Fresh windows for every endpoint and token. */
  resetRateLimits(): void;
  clearFaults(): void;
  /** DMs accepted so far, oldest first. */
  readonly dms: SentDm[];
  /** Every request received (control routes excluded), oldest first. */
  readonly requests: RequestRecord[];
  /** The data clock (ms). */
  now(): number;
  setNow(at: Date | string | number): void;
  advance(ms: number): void;
  /** The current data as a scenario. */
  toScenario(): Scenario;
}

export async function startFakeX(scenario: Scenario, options: FakeXOptions = {}): Promise<FakeX> {
  const store = new FakeXStore(scenario);
  if (options.now !== undefined) store.setNow(options.now);
  const appTokens = new Set(options.appTokens ?? ['test-bearer-token']);
  const userTokens = new Map<string, string>();
  const defaultUser = store.owner ?? scenario.users[0]?.username;
  for (const [token, user] of Object.entries(
    options.userTokens ?? (defaultUser ? { 'test-user-token': defaultUser } : {}),
  ))
    userTokens.set(token, store.resolveUser(user).id);
  const limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const windowMs = (options.windowSeconds ?? 900) * 1000;
  const recentMs = (options.recentDays ?? 7) * 86_400_000;
  const compression = options.compression !== false;
  const windows = new Map<string, Window>();
  const faults = new Map<string, (FaultSpec & { left: number; skip: number })[]>();
  const requests: RequestRecord[] = [];

  const window = (endpoint: EndpointKey, key: string, limit = limits[endpoint], ms = windowMs) => {
    const id = `${endpoint}|${key}|${ms}`;
    let w = windows.get(id);
    if (!w || Date.now() >= w.reset * 1000) {
      w = { limit, remaining: limit, reset: Math.ceil((Date.now() + ms) / 1000) };
      windows.set(id, w);
    }
    return w;
  };

  const takeFault = (endpoint: EndpointKey): FaultSpec | undefined => {
    for (const name of [endpoint, '*']) {
      const queue = faults.get(name);
      if (!queue?.length) continue;
      const f = queue[0];
      if (f.skip > 0) {
        f.skip--;
        continue;
      }
      if (--f.left <= 0) queue.shift();
      return f;
    }
    return undefined;
  };

  const authenticate = (req: IncomingMessage): Auth | undefined => {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    if (bearer) {
      const token = bearer[1].trim();
      if (appTokens.has(token)) return { kind: 'app', key: `app:${token}` };
      const userId = userTokens.get(token);
      if (userId) return { kind: 'user', key: `user:${userId}`, userId };
      return undefined;
    }
    if (/^OAuth\s/i.test(header)) {
      const m = /oauth_token="([^"]*)"/.exec(header);
      const consumer = /oauth_consumer_key="([^"]+)"/.test(header);
      const token = m ? decodeURIComponent(m[1]) : '';
      const userId = token.split('-')[0];
      if (consumer && ID_PATTERN.test(userId) && store.user(userId))
        return { kind: 'user', key: `user:${userId}`, userId };
    }
    return undefined;
  };

  const fieldSets = (p: Params) => ({
    tweet: new Set(p.list('tweet.fields')),
    user: new Set(p.list('user.fields')),
    place: new Set(p.list('place.fields')),
    expansions: new Set(p.list('expansions')),
  });
  type Fields = ReturnType<typeof fieldSets>;

  /** data + includes + errors for a list of visible tweet ids. */
  const tweetsPayload = (ids: string[], f: Fields, errors: ApiObject[] = []): ApiObject => {
    const data = ids.map((id) => store.renderTweet(id, f.tweet));
    const users = new Map<string, ApiObject>();
    const tweets = new Map<string, ApiObject>();
    const places = new Map<string, ApiObject>();
    const addUser = (id: string | undefined) => {
      if (id && !users.has(id) && store.user(id)) users.set(id, store.renderUser(id, f.user));
    };
    const posts = ids.map((id) => store.peek(id)!);
    for (const p of posts) {
      if (f.expansions.has('author_id')) addUser(p.author_id);
      if (f.expansions.has('in_reply_to_user_id')) addUser(p.in_reply_to_user_id);
      if (f.expansions.has('entities.mentions.username'))
        for (const m of p.entities?.mentions ?? []) addUser(store.userByUsername(m.username)?.id);
      if (f.expansions.has('geo.place_id') && p.geo && store.place(p.geo.place_id))
        places.set(p.geo.place_id, store.renderPlace(p.geo.place_id, f.place));
      if (
        f.expansions.has('referenced_tweets.id') ||
        f.expansions.has('referenced_tweets.id.author_id')
      )
        for (const r of p.referenced_tweets ?? []) {
          if (tweets.has(r.id)) continue;
          const vis = store.visibility(r.id);
          if (vis !== 'visible') {
            if (!errors.some((e) => e.resource_id === r.id))
              errors.push(resourceError(vis, 'tweet', 'referenced_tweets.id', r.id, 'includes'));
            continue;
          }
          if (f.expansions.has('referenced_tweets.id'))
            tweets.set(r.id, store.renderTweet(r.id, f.tweet));
          if (f.expansions.has('referenced_tweets.id.author_id'))
            addUser(store.peek(r.id)!.author_id);
        }
    }
    const out: ApiObject = {};
    if (data.length) out.data = data;
    const includes: ApiObject = {};
    if (users.size) includes.users = [...users.values()];
    if (tweets.size) includes.tweets = [...tweets.values()];
    if (places.size) includes.places = [...places.values()];
    if (Object.keys(includes).length) out.includes = includes;
    if (errors.length) out.errors = errors;
    return out;
  };

  const usersPayload = (ids: string[], f: Fields, errors: ApiObject[] = []): ApiObject => {
    const out: ApiObject = {};
    if (ids.length) out.data = ids.map((id) => store.renderUser(id, f.user));
    if (errors.length) out.errors = errors;
    return out;
  };

  const tweetMeta = (items: string[], next: string | undefined, prev?: string): ApiObject => {
    if (!items.length) return { result_count: 0 };
    const meta: ApiObject = {
      newest_id: items[0],
      oldest_id: items[items.length - 1],
      result_count: items.length,
    };
    if (next) meta.next_token = next;
    if (prev) meta.previous_token = prev;
    return meta;
  };

  /** Shared by search/recent and mentions: since/until/start/end filters. */
  const windowFilter = (p: Params, floorMs?: number) => {
    const sinceId = p.id('since_id');
    const untilId = p.id('until_id');
    const start = p.time('start_time');
    const end = p.time('end_time');
    const now = store.now();
    return (id: string) => {
      const t = store.createdAtMs(id);
      if (t > now) return false; // not published yet on the data clock
      if (floorMs !== undefined && t < floorMs) return false;
      if (sinceId && compareIds(id, sinceId) <= 0) return false;
      if (untilId && compareIds(id, untilId) >= 0) return false;
      if (start !== undefined && t < start) return false;
      if (end !== undefined && t >= end) return false;
      return true;
    };
  };

  const handlers: Record<
    EndpointKey,
    (p: Params, m: string[], auth: Auth, body: string) => Answer
  > = {
    'search/recent': (p) => {
      const query = p.get('query');
      if (!query) throw invalid('query', '', 'The `query` query parameter can not be empty');
      const max = p.maxResults(10, 100, 10);
      const floor = store.now() - recentMs;
      const since = p.get('since_id');
      if (since && ID_PATTERN.test(since) && store.createdAtMs(since) < floor - 60_000) {
        const minId = snowflake(floor);
        throw invalid(
          'since_id',
          since,
          `Invalid 'since_id':'${since}'. 'since_id' must be a tweet id created after ${new Date(floor).toISOString()}. Please use a 'since_id' that is larger than ${minId}`,
        );
      }
      const start = p.time('start_time');
      if (start !== undefined && start < floor - 60_000)
        throw invalid(
          'start_time',
          p.get('start_time')!,
          `Invalid 'start_time':'${p.get('start_time')}'. 'start_time' must be on or after ${new Date(floor).toISOString()}`,
        );
      let ids: string[];
      try {
        ids = store.search(query);
      } catch (e) {
        if (e instanceof QueryError)
          throw invalid('query', query, `There were errors processing your request: ${e.message}`);
        throw e;
      }
      const tokenName = p.get('next_token') !== undefined ? 'next_token' : 'pagination_token';
      const token = p.get(tokenName);
      const cursor = token ? decodeToken(token, tokenName, 'search/recent', query) : undefined;
      const { items, full } = page(ids, max, cursor, windowFilter(p, floor));
      const next = full
        ? encodeToken({ e: 'search/recent', k: query, b: items[items.length - 1], d: 'n' })
        : undefined;
      const f = fieldSets(p);
      return { status: 200, body: { ...tweetsPayload(items, f), meta: tweetMeta(items, next) } };
    },

    'users/:id/mentions': (p, [id]) => {
      if (!ID_PATTERN.test(id))
        throw invalid(
          'id',
          id,
          `The \`id\` query parameter value [${id}] does not match ^[0-9]{1,19}$`,
        );
      const max = p.maxResults(5, 100, 10);
      if (!store.user(id))
        return { status: 200, body: { errors: [resourceError('not-found', 'user', 'id', id)] } };
      const token = p.get('pagination_token');
      const cursor = token
        ? decodeToken(token, 'pagination_token', 'users/:id/mentions', id)
        : undefined;
      const { items, full } = page(store.mentionsOf(id), max, cursor, windowFilter(p));
      const next = full
        ? encodeToken({ e: 'users/:id/mentions', k: id, b: items.at(-1)!, d: 'n' })
        : undefined;
      const prev = items.length
        ? encodeToken({ e: 'users/:id/mentions', k: id, b: items[0], d: 'p' })
        : undefined;
      const f = fieldSets(p);
      return {
        status: 200,
        body: { ...tweetsPayload(items, f), meta: tweetMeta(items, next, prev) },
      };
    },

    'users/by/username/:username': (p, [raw]) => {
      const username = decodeURIComponent(raw);
      if (!/^[A-Za-z0-9_]{1,15}$/.test(username))
        throw invalid(
          'username',
          username,
          `The \`username\` query parameter value [${username}] does not match ^[A-Za-z0-9_]{1,15}$`,
        );
      const user = store.userByUsername(username);
      if (!user)
        return {
          status: 200,
          body: { errors: [resourceError('not-found', 'user', 'username', username)] },
        };
      return { status: 200, body: { data: store.renderUser(user.id, fieldSets(p).user) } };
    },

    'users/me': (p, _m, auth) => {
      if (auth.kind !== 'user') return unsupportedAuth();
      return { status: 200, body: { data: store.renderUser(auth.userId!, fieldSets(p).user) } };
    },

    users: (p) => {
      const ids = idsParam(p, 'ids');
      const found: string[] = [];
      const errors: ApiObject[] = [];
      for (const id of ids)
        if (store.user(id)) found.push(id);
        else errors.push(resourceError('not-found', 'user', 'ids', id));
      return { status: 200, body: usersPayload(found, fieldSets(p), errors) };
    },

    tweets: (p) => {
      const ids = idsParam(p, 'ids');
      const found: string[] = [];
      const errors: ApiObject[] = [];
      for (const id of ids) {
        const vis = store.visibility(id);
        if (vis === 'visible') found.push(id);
        else errors.push(resourceError(vis, 'tweet', 'ids', id));
      }
      return { status: 200, body: tweetsPayload(found, fieldSets(p), errors) };
    },

    'tweets/:id': (p, [id]) => {
      pathId(id);
      const vis = store.visibility(id);
      if (vis !== 'visible')
        return { status: 200, body: { errors: [resourceError(vis, 'tweet', 'id', id)] } };
      const payload = tweetsPayload([id], fieldSets(p));
      return { status: 200, body: { ...payload, data: (payload.data as ApiObject[])[0] } };
    },

    'tweets/:id/retweeted_by': (p, [id]) =>
      userList(p, id, 'tweets/:id/retweeted_by', () => store.retweetersOf(id)),
    'tweets/:id/liking_users': (p, [id]) =>
      userList(p, id, 'tweets/:id/liking_users', () => store.likersOf(id)),

    'tweets/:id/quote_tweets': (p, [id]) => {
      pathId(id);
      const max = p.maxResults(10, 100, 10);
      const vis = store.visibility(id);
      if (vis !== 'visible')
        return { status: 200, body: { errors: [resourceError(vis, 'tweet', 'id', id)] } };
      let ids = store.quotesOf(id);
      const exclude = p.list('exclude');
      if (exclude.includes('retweets'))
        ids = ids.filter(
          (q) => !store.peek(q)?.referenced_tweets?.some((r) => r.type === 'retweeted'),
        );
      if (exclude.includes('replies'))
        ids = ids.filter(
          (q) => !store.peek(q)?.referenced_tweets?.some((r) => r.type === 'replied_to'),
        );
      const token = p.get('pagination_token');
      const cursor = token
        ? decodeToken(token, 'pagination_token', 'tweets/:id/quote_tweets', id)
        : undefined;
      const { items, full } = page(ids, max, cursor);
      const next = full
        ? encodeToken({ e: 'tweets/:id/quote_tweets', k: id, b: items.at(-1)!, d: 'n' })
        : undefined;
      const f = fieldSets(p);
      return { status: 200, body: { ...tweetsPayload(items, f), meta: tweetMeta(items, next) } };
    },

    'dm_conversations/with/:participant_id/messages': (_p, [participant], auth, body) => {
      if (auth.kind !== 'user') return unsupportedAuth();
      if (!ID_PATTERN.test(participant))
        throw invalid(
          'participant_id',
          participant,
          `The \`participant_id\` query parameter value [${participant}] does not match ^[0-9]{1,19}$`,
        );
      let parsed: { text?: unknown; attachments?: unknown };
      try {
        parsed = body ? (JSON.parse(body) as typeof parsed) : {};
      } catch {
        throw invalid('body', body.slice(0, 100), 'The request body is not valid JSON');
      }
      const text = typeof parsed.text === 'string' ? parsed.text : '';
      const hasAttachments = Array.isArray(parsed.attachments) && parsed.attachments.length > 0;
      if (!text && !hasAttachments)
        throw invalid('text', '', 'One of text or attachments is required');
      if ([...text].length > 10_000)
        throw invalid(
          'text',
          text.slice(0, 50),
          'The `text` value is longer than 10000 characters',
        );
      const recipient = store.user(participant);
      if (!recipient)
        return problem(
          404,
          `Could not find user with participant_id: [${participant}].`,
          'Not Found Error',
          'https://api.twitter.com/2/problems/resource-not-found',
        );
      if (participant === auth.userId || recipient.accepts_dms === false)
        return problem(403, 'You cannot send messages to this user.');
      const now = store.now();
      const [a, b] = [auth.userId!, participant].sort(compareIds);
      const dm: SentDm = {
        dm_event_id: snowflake(now, 2, store.dms.length & 0xfff),
        dm_conversation_id: `${a}-${b}`,
        sender_id: auth.userId!,
        participant_id: participant,
        text,
        created_at: new Date(now).toISOString(),
      };
      store.dms.push(dm);
      const day = window(
        'dm_conversations/with/:participant_id/messages',
        auth.key,
        DM_DAILY_LIMIT,
        86_400_000,
      );
      day.remaining = Math.max(0, day.remaining - 1);
      return {
        status: 201,
        body: { data: { dm_conversation_id: dm.dm_conversation_id, dm_event_id: dm.dm_event_id } },
        headers: {
          'x-user-limit-24hour-limit': String(day.limit),
          'x-user-limit-24hour-remaining': String(day.remaining),
          'x-user-limit-24hour-reset': String(day.reset),
        },
      };
    },
  };

  function unsupportedAuth(): Answer {
    return problem(
      403,
      'Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].',
      'Unsupported Authentication',
      'https://api.twitter.com/2/problems/unsupported-authentication',
    );
  }

  function pathId(id: string): void {
    if (!ID_PATTERN.test(id))
      throw invalid(
        'id',
        id,
        `The \`id\` query parameter value [${id}] does not match ^[0-9]{1,19}$`,
      );
  }

  function idsParam(p: Params, name: string): string[] {
    const raw = p.get(name);
    if (!raw) throw invalid(name, '', `The \`${name}\` query parameter can not be empty`);
    const ids = raw.split(',');
    if (ids.length > 100)
      throw invalid(
        name,
        raw,
        `The number of values in the \`${name}\` query parameter list [${ids.length}] is not between 1 and 100`,
      );
    for (const id of ids)
      if (!ID_PATTERN.test(id))
        throw invalid(
          name,
          id,
          `The \`${name}\` query parameter value [${id}] does not match ^[0-9]{1,19}$`,
        );
    return ids;
  }

  function userList(p: Params, id: string, endpoint: EndpointKey, all: () => string[]): Answer {
    pathId(id);
    const max = p.maxResults(1, 100, 100);
    const vis = store.visibility(id);
    if (vis !== 'visible')
      return { status: 200, body: { errors: [resourceError(vis, 'tweet', 'id', id)] } };
    const token = p.get('pagination_token');
    const cursor = token ? decodeToken(token, 'pagination_token', endpoint, id) : undefined;
    // User lists are not ordered by id: page by position, encoded as a fake boundary "id".
    const ids = all();
    const offset = cursor ? Number(cursor.b) : 0;
    const items =
      cursor?.d === 'p'
        ? ids.slice(Math.max(0, offset - max), offset)
        : ids.slice(offset, offset + max);
    const start = cursor?.d === 'p' ? Math.max(0, offset - max) : offset;
    const meta: ApiObject = { result_count: items.length };
    if (items.length === max && start + max <= ids.length)
      meta.next_token = encodeToken({ e: endpoint, k: id, b: String(start + max), d: 'n' });
    if (start > 0)
      meta.previous_token = encodeToken({ e: endpoint, k: id, b: String(start), d: 'p' });
    return { status: 200, body: { ...usersPayload(items, fieldSets(p)), meta } };
  }

  /* ---------- HTTP ---------- */

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    answer: Answer,
    headers: Record<string, string>,
    cut?: FaultSpec['cut'],
  ) => {
    let body: Buffer = Buffer.from(answer.body === undefined ? '' : JSON.stringify(answer.body));
    const out: Record<string, string | number> = {
      ...headers,
      ...answer.headers,
      'content-type': answer.contentType ?? JSON_TYPE,
      'cache-control': 'no-cache, no-store, max-age=0',
      'x-transaction-id': Math.random().toString(16).slice(2, 18),
    };
    if (
      compression &&
      body.length &&
      /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
    ) {
      // The fastest level: on loopback the bytes saved are worth less than the CPU, which the
      // fake shares with what is under test (a client inflates any level the same way).
      body = gzipSync(body, { level: 1 });
      out['content-encoding'] = 'gzip';
    }
    out['content-length'] = body.length;
    res.writeHead(answer.status, out);
    if (cut === 'mid-body') {
      res.write(body.subarray(0, Math.max(1, body.length >> 1)), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  };

  const rateHeaders = (w: Window) => ({
    'x-rate-limit-limit': String(w.limit),
    'x-rate-limit-remaining': String(w.remaining),
    'x-rate-limit-reset': String(w.reset),
  });

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: string,
  ): Promise<void> => {
    const route = ROUTES.find((r) => r.re.test(url.pathname));
    const log: RequestRecord = {
      method: req.method ?? 'GET',
      endpoint: route?.key ?? null,
      url: url.pathname + url.search,
      status: 0,
      at: Date.now(),
    };
    if (requests.length >= 10_000) requests.splice(0, 1_000);
    requests.push(log);
    if (!route || route.method !== req.method) {
      log.status = 404;
      send(
        req,
        res,
        {
          status: 404,
          body: { errors: [{ message: 'Sorry, that page does not exist', code: 34 }] },
        },
        {},
      );
      return;
    }
    const endpoint = route.key;
    const match = route.re.exec(url.pathname)!.slice(1);
    const auth = authenticate(req);
    const w = window(endpoint, auth?.key ?? 'anonymous');
    if (!auth) {
      log.status = 401;
      send(req, res, problem(401), rateHeaders(w));
      return;
    }
    const fault = takeFault(endpoint);
    if (fault) {
      log.fault = fault.cut
        ? `cut:${fault.cut}`
        : fault.status
          ? `status:${fault.status}`
          : 'delay';
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.cut === 'before-response') {
        log.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault.status === 429) {
        const reset = fault.resetAt ?? Math.ceil(Date.now() / 1000 + (fault.resetInSeconds ?? 60));
        log.status = 429;
        const answer = problem(429);
        if (fault.body !== undefined) answer.body = fault.body;
        const headers = rateHeaders({ limit: w.limit, remaining: 0, reset });
        send(req, res, answer, fault.noRateHeaders ? {} : headers);
        return;
      }
      if (fault.status) {
        if (fault.status !== 401 && fault.status !== 403)
          w.remaining = Math.max(0, w.remaining - 1);
        log.status = fault.status;
        const answer = problem(fault.status);
        if (fault.body !== undefined) answer.body = fault.body;
        send(req, res, answer, rateHeaders(w));
        return;
      }
    }
    if (w.remaining <= 0) {
      log.status = 429;
      send(req, res, problem(429), rateHeaders(w));
      return;
    }
    w.remaining--;
    let answer: Answer;
    try {
      const params = new Params(url.searchParams);
      params.checkAllowed(endpoint);
      answer = handlers[endpoint](params, match, auth, body);
    } catch (e) {
      if (e instanceof BadRequest) answer = badRequestAnswer(e);
      else answer = problem(500, e instanceof Error ? e.message : String(e));
    }
    log.status = fault?.cut ? -1 : answer.status;
    send(req, res, answer, rateHeaders(w), fault?.cut);
  };

  /* ---------- control routes (/_fake/…), no auth, for manual runs and demos ---------- */

  const control = (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => {
    const reply = (status: number, payload: unknown) =>
      send(req, res, { status, body: payload }, {});
    const json = () => (body ? (JSON.parse(body) as Record<string, unknown>) : {});
    const path = url.pathname.slice('/_fake'.length);
    const m = /^\/posts\/([0-9]+)(\/metrics|\/likes|\/retweets)?$/.exec(path);
    try {
      if (req.method === 'GET' && path === '/state')
        return reply(200, { ...store.counts(), now: new Date(store.now()).toISOString() });
      if (req.method === 'GET' && path === '/scenario') return reply(200, store.toScenario());
      if (req.method === 'GET' && path === '/dms') return reply(200, { data: store.dms });
      if (req.method === 'GET' && path === '/requests') return reply(200, { data: requests });
      if (req.method === 'POST' && path === '/posts')
        return reply(201, { data: store.addPost(json() as NewPost) });
      if (req.method === 'POST' && path === '/users')
        return reply(201, { data: store.addUser(json() as unknown as ScenarioUser) });
      if (m && req.method === 'POST' && m[2] === '/metrics')
        return reply(200, { data: store.setMetrics(m[1], json() as Partial<TweetPublicMetrics>) });
      if (m && req.method === 'POST' && m[2] === '/likes') {
        store.like(m[1], String(json().user));
        return reply(200, { data: store.post(m[1]) });
      }
      if (m && req.method === 'POST' && m[2] === '/retweets')
        return reply(201, { data: store.retweet(m[1], String(json().user)) });
      if (m && req.method === 'DELETE' && !m[2]) {
        store.deletePost(m[1]);
        return reply(200, { data: { deleted: true } });
      }
      if (req.method === 'POST' && path === '/faults') {
        const { endpoint, ...spec } = json() as FaultSpec & { endpoint?: string };
        fake.fail((endpoint ?? '*') as EndpointKey, spec);
        return reply(201, { data: { endpoint: endpoint ?? '*', ...spec } });
      }
      if (req.method === 'DELETE' && path === '/faults') {
        fake.clearFaults();
        return reply(200, { data: { cleared: true } });
      }
      if (req.method === 'POST' && path === '/rate-limits/reset') {
        fake.resetRateLimits();
        return reply(200, { data: { reset: true } });
      }
      return reply(404, { error: `no control route ${req.method} ${url.pathname}` });
    } catch (e) {
      return reply(400, { error: e instanceof Error ? e.message : String(e) });
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const url = new URL(req.url ?? '/', 'http://fake-x');
      if (url.pathname.startsWith('/_fake/')) return control(req, res, url, body);
      handleApi(req, res, url, body).catch((e: unknown) => {
        if (!res.headersSent) send(req, res, problem(500, String(e)), {});
      });
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const fake: FakeX = {
    url: `http://${host}:${address.port}`,
    port: address.port,
    store,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    addPost: (post) => store.addPost(post),
    addUser: (user) => store.addUser(user),
    retweet: (postId, user) => store.retweet(postId, user),
    like: (postId, user) => store.like(postId, user),
    setMetrics: (postId, metrics) => store.setMetrics(postId, metrics),
    setUserMetrics: (user, metrics) => store.setUserMetrics(user, metrics),
    deletePost: (postId) => store.deletePost(postId),
    fail(endpoint, fault) {
      if (endpoint !== '*' && !ENDPOINTS.includes(endpoint))
        throw new Error(`fake-x: unknown endpoint ${endpoint}; one of ${ENDPOINTS.join(', ')}`);
      if (!fault.status && !fault.cut && !fault.delayMs)
        throw new Error('fake-x: a fault needs status, cut or delayMs');
      const queue = faults.get(endpoint) ?? [];
      queue.push({ ...fault, left: fault.times ?? 1, skip: fault.after ?? 0 });
      faults.set(endpoint, queue);
    },
    exhaustRateLimit(endpoint, resetInSeconds = 60) {
      for (const [id, w] of windows)
        if (id.startsWith(`${endpoint}|`) && id.endsWith(`|${windowMs}`)) {
          w.remaining = 0;
          w.reset = Math.ceil(Date.now() / 1000 + resetInSeconds);
        }
      // Tokens that have not called yet get an exhausted window too.
      for (const key of [
        ...[...appTokens].map((t) => `app:${t}`),
        ...[...userTokens.values()].map((u) => `user:${u}`),
      ]) {
        const w = window(endpoint, key);
        w.remaining = 0;
        w.reset = Math.ceil(Date.now() / 1000 + resetInSeconds);
      }
    },
    resetRateLimits: () => windows.clear(),
    clearFaults: () => faults.clear(),
    get dms() {
      return store.dms;
    },
    requests,
    now: () => store.now(),
    setNow: (at) => store.setNow(at),
    advance: (ms) => store.advance(ms),
    toScenario: () => store.toScenario(),
  };
  return fake;
}
