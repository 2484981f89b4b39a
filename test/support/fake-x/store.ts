import { extractEntities, tokenize } from './entities.js';
import { compileQuery, type Searchable } from './query.js';
import { compareIds, ID_PATTERN, snowflake, snowflakeTime } from './snowflake.js';
import type {
  ApiObject,
  ReferenceType,
  Scenario,
  ScenarioPlace,
  ScenarioPost,
  ScenarioUser,
  SentDm,
  TweetPublicMetrics,
  UserPublicMetrics,
} from './types.js';

/** What `addPost` takes: a scenario post whose id, author and created_at may be left out. */
export interface NewPost extends Partial<Omit<ScenarioPost, 'author_id'>> {
  /** Author by id... */
  author_id?: string;
  /** ...or by username. */
  author?: string;
}

interface PostRecord {
  post: Required<Pick<ScenarioPost, 'entities' | 'conversation_id'>> &
    ScenarioPost & { public_metrics: TweetPublicMetrics };
  searchable: Searchable;
  createdMs: number;
  deleted: boolean;
}

const ZERO_METRICS: TweetPublicMetrics = {
  retweet_count: 0,
  reply_count: 0,
  like_count: 0,
  quote_count: 0,
  bookmark_count: 0,
  impression_count: 0,
};

const RETWEET_TEXT_LIMIT = 140;

/** A retweet's text as X v2 serves it: `RT @author: ` + the original, cut at 140 characters with '…'. */
export function retweetText(originalAuthor: string, originalText: string): string {
  const chars = [...`RT @${originalAuthor}: ${originalText}`];
  return chars.length > RETWEET_TEXT_LIMIT
    ? chars.slice(0, RETWEET_TEXT_LIMIT - 1).join('') + '…'
    : chars.join('');
}

/** Renders a problem in `errors[]` of a 200 answer, as X does for ids it cannot return. */
export function resourceError(
  kind: 'not-found' | 'not-authorized',
  resource: 'tweet' | 'user',
  parameter: string,
  value: string,
  section?: 'data' | 'includes',
): ApiObject {
  const Resource = resource === 'tweet' ? 'Tweet' : 'user';
  return kind === 'not-found'
    ? {
        value,
        detail: `Could not find ${resource} with ${parameter}: [${value}].`,
        title: 'Not Found Error',
        resource_type: resource,
        parameter,
        resource_id: value,
        ...(section ? { section } : {}),
        type: 'https://api.twitter.com/2/problems/resource-not-found',
      }
    : {
        value,
        detail: `Sorry, you are not authorized to see the ${Resource} with ${parameter}: [${value}].`,
        title: 'Authorization Error',
        resource_type: resource,
        parameter,
        resource_id: value,
        ...(section ? { section } : {}),
        type: 'https://api.twitter.com/2/problems/not-authorized-for-resource',
      };
}

/** The fake's data: users, places, posts, likes and the DMs it accepted. */
export class FakeXStore {
  private readonly users = new Map<string, ScenarioUser>();
  private readonly usernames = new Map<string, string>(); // lower-case username -> id
  private readonly places = new Map<string, ScenarioPlace>();
  private readonly posts = new Map<string, PostRecord>();
  /** All post ids, ascending. */
  private readonly order: string[] = [];
  private readonly likes = new Map<string, string[]>(); // post id -> user ids, oldest first
  private readonly memo = new Map<string, { version: number; value: unknown }>();
  private version = 0;
  private lastId = '0';
  private clockOffset = 0;
  private sequence = 0;
  readonly dms: SentDm[] = [];
  owner?: string;

  constructor(scenario: Scenario) {
    if (scenario.version !== 1)
      throw new Error(`fake-x: unknown scenario version ${scenario.version}`);
    if (scenario.now) this.setNow(scenario.now);
    for (const user of scenario.users) this.addUser(user);
    for (const place of scenario.places ?? []) this.places.set(place.id, structuredClone(place));
    const posts = [...scenario.posts].sort((a, b) => compareIds(a.id, b.id));
    for (const post of posts) this.insert(structuredClone(post), false);
    if (scenario.owner) {
      if (!this.userByUsername(scenario.owner))
        throw new Error(`fake-x: owner @${scenario.owner} is not a scenario user`);
      this.owner = scenario.owner;
    }
  }

  /* ---------- clock ---------- */

  /** The fake's clock (ms): real time, shifted by `setNow` / `advance` / scenario.now. */
  now(): number {
    return Date.now() + this.clockOffset;
  }
  setNow(at: Date | string | number): void {
    this.clockOffset = new Date(at).getTime() - Date.now();
  }
  advance(ms: number): void {
    this.clockOffset += ms;
  }

  /* ---------- users ---------- */

  addUser(input: ScenarioUser): ScenarioUser {
    if (!ID_PATTERN.test(input.id)) throw new Error(`fake-x: bad user id ${input.id}`);
    if (!/^[A-Za-z0-9_]{1,15}$/.test(input.username))
      throw new Error(`fake-x: bad username ${input.username}`);
    const lower = input.username.toLowerCase();
    if (this.users.has(input.id)) throw new Error(`fake-x: duplicate user id ${input.id}`);
    if (this.usernames.has(lower)) throw new Error(`fake-x: duplicate username ${input.username}`);
    const user = structuredClone(input);
    user.public_metrics = {
      followers_count: 0,
      following_count: 0,
      tweet_count: 0,
      listed_count: 0,
      ...(user.public_metrics as Partial<UserPublicMetrics> | undefined),
    };
    this.users.set(user.id, user);
    this.usernames.set(lower, user.id);
    this.version++;
    return structuredClone(user);
  }

  user(id: string): ScenarioUser | undefined {
    return this.users.get(id);
  }
  userByUsername(username: string): ScenarioUser | undefined {
    const id = this.usernames.get(username.replace(/^@/, '').toLowerCase());
    return id ? this.users.get(id) : undefined;
  }
  /** A user by id or username (with or without @); throws when unknown. */
  resolveUser(idOrUsername: string): ScenarioUser {
    const user = this.users.get(idOrUsername) ?? this.userByUsername(idOrUsername);
    if (!user) throw new Error(`fake-x: unknown user ${idOrUsername}`);
    return user;
  }
  setUserMetrics(idOrUsername: string, metrics: Partial<UserPublicMetrics>): ScenarioUser {
    const user = this.resolveUser(idOrUsername);
    Object.assign(user.public_metrics, metrics);
    return structuredClone(user);
  }

  place(id: string): ScenarioPlace | undefined {
    return this.places.get(id);
  }

  /* ---------- posts ---------- */

  private record(id: string): PostRecord {
    const rec = this.posts.get(id);
    if (!rec) throw new Error(`fake-x: unknown post ${id}`);
    return rec;
  }

  /** The post as stored (metrics as served), or undefined. Deleted posts are returned too. */
  post(id: string): ScenarioPost | undefined {
    const rec = this.posts.get(id);
    return rec ? structuredClone(rec.post) : undefined;
  }

  /** Visible: not deleted, author not protected. */
  visibility(id: string): 'visible' | 'not-found' | 'not-authorized' {
    const rec = this.posts.get(id);
    if (!rec || rec.deleted) return 'not-found';
    return this.users.get(rec.post.author_id)?.protected ? 'not-authorized' : 'visible';
  }

  private userIdOf = (username: string): string | undefined =>
    this.usernames.get(username.toLowerCase());

  private insert(post: ScenarioPost, live: boolean): PostRecord {
    if (!ID_PATTERN.test(post.id)) throw new Error(`fake-x: bad post id ${post.id}`);
    if (this.posts.has(post.id)) throw new Error(`fake-x: duplicate post id ${post.id}`);
    const author = this.users.get(post.author_id);
    if (!author) throw new Error(`fake-x: post ${post.id} has unknown author ${post.author_id}`);
    if (Number.isNaN(Date.parse(post.created_at)))
      throw new Error(`fake-x: post ${post.id} has a bad created_at`);
    if (post.geo && !this.places.has(post.geo.place_id))
      throw new Error(`fake-x: post ${post.id} has unknown place ${post.geo.place_id}`);
    const refs = post.referenced_tweets ?? [];
    const ref = (type: ReferenceType) => refs.find((r) => r.type === type);
    const retweeted = ref('retweeted');
    const original = retweeted ? this.posts.get(retweeted.id)?.post : undefined;
    const originalAuthor = original ? this.users.get(original.author_id) : undefined;
    let fullText = post.text;
    if (retweeted && originalAuthor && original) {
      fullText = `RT @${originalAuthor.username}: ${original.text}`;
      if (!post.text) post.text = retweetText(originalAuthor.username, original.text);
      post.lang ??= original.lang;
      post.possibly_sensitive ??= original.possibly_sensitive;
    }
    if (typeof post.text !== 'string') throw new Error(`fake-x: post ${post.id} has no text`);
    post.lang ??= 'und';
    const repliedTo = ref('replied_to');
    const parent = repliedTo ? this.posts.get(repliedTo.id)?.post : undefined;
    if (repliedTo && parent) post.in_reply_to_user_id ??= parent.author_id;
    post.conversation_id ??= parent?.conversation_id ?? post.id;
    post.entities ??= extractEntities(post.text, this.userIdOf);
    post.public_metrics = { ...ZERO_METRICS, ...post.public_metrics };
    if (post.liked_by) {
      this.likes.set(post.id, [...post.liked_by]);
      delete post.liked_by;
    }
    const fullEntities = fullText === post.text ? post.entities : extractEntities(fullText);
    const quoted = ref('quoted');
    const searchable: Searchable = {
      id: post.id,
      authorUsername: author.username.toLowerCase(),
      authorVerified: !!author.verified,
      tokens: tokenize(fullText),
      hashtags: new Set((fullEntities.hashtags ?? []).map((h) => h.tag.toLowerCase())),
      mentions: new Set((fullEntities.mentions ?? []).map((m) => m.username.toLowerCase())),
      urls: (fullEntities.urls ?? []).map((u) => u.expanded_url.toLowerCase()),
      lang: post.lang,
      isRetweet: !!retweeted,
      isReply: !!repliedTo,
      isQuote: !!quoted,
      hasGeo: !!post.geo,
      conversationId: post.conversation_id,
      inReplyToUsername: post.in_reply_to_user_id
        ? this.users.get(post.in_reply_to_user_id)?.username.toLowerCase()
        : undefined,
      retweetOfUsername: originalAuthor?.username.toLowerCase(),
    };
    const rec = {
      post,
      searchable,
      createdMs: Date.parse(post.created_at),
      deleted: false,
    } as PostRecord;
    this.posts.set(post.id, rec);
    // Ids are nearly always appended; keep `order` sorted anyway.
    if (compareIds(post.id, this.lastId) > 0) {
      this.order.push(post.id);
      this.lastId = post.id;
    } else {
      let lo = 0;
      let hi = this.order.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareIds(this.order[mid], post.id) < 0) lo = mid + 1;
        else hi = mid;
      }
      this.order.splice(lo, 0, post.id);
    }
    if (live) {
      // What the network does when a post appears: counters of the author and the referenced post.
      author.public_metrics.tweet_count++;
      for (const r of refs) {
        const target = this.posts.get(r.id)?.post.public_metrics;
        if (!target) continue;
        if (r.type === 'retweeted') target.retweet_count++;
        else if (r.type === 'quoted') target.quote_count++;
        else target.reply_count++;
      }
    }
    this.version++;
    return rec;
  }

  /**
   * Adds a post as if it had just been published: id = a snowflake of its created_at (default the
   * fake's clock) made greater than every existing id, text entities computed, counters of the
   * author and of the retweeted / quoted / replied-to post incremented.
   */
  addPost(input: NewPost): ScenarioPost {
    const { author, ...rest } = input;
    const authorId = input.author_id ?? (author ? this.resolveUser(author).id : undefined);
    if (!authorId) throw new Error('fake-x: addPost needs author_id or author');
    this.resolveUser(authorId);
    const createdMs = rest.created_at ? Date.parse(rest.created_at) : this.now();
    let id = rest.id;
    if (!id) {
      id = snowflake(createdMs, 1, this.sequence++ & 0xfff);
      if (compareIds(id, this.lastId) <= 0) id = (BigInt(this.lastId) + 1n).toString();
    }
    const post = {
      ...structuredClone(rest),
      id,
      author_id: authorId,
      created_at: new Date(createdMs).toISOString(),
      text: rest.text ?? '',
    } as ScenarioPost;
    return structuredClone(this.insert(post, true).post);
  }

  /** `userId` retweets the post: a new retweet post, the original's retweet_count + 1. */
  retweet(postId: string, userIdOrUsername: string): ScenarioPost {
    this.record(postId);
    const user = this.resolveUser(userIdOrUsername);
    return this.addPost({
      author_id: user.id,
      referenced_tweets: [{ type: 'retweeted', id: postId }],
    });
  }

  /** `userId` likes the post: listed by liking_users, like_count + 1. Idempotent. */
  like(postId: string, userIdOrUsername: string): void {
    const rec = this.record(postId);
    const user = this.resolveUser(userIdOrUsername);
    const list = this.likes.get(postId) ?? [];
    if (list.includes(user.id)) return;
    list.push(user.id);
    this.likes.set(postId, list);
    rec.post.public_metrics.like_count++;
  }

  /** Overwrites some public metrics of a post (engagement growing on the network). */
  setMetrics(postId: string, metrics: Partial<TweetPublicMetrics>): ScenarioPost {
    const rec = this.record(postId);
    Object.assign(rec.post.public_metrics, metrics);
    return structuredClone(rec.post);
  }

  /** The post disappears: search, timelines and lookups answer as for a deleted post. */
  deletePost(postId: string): void {
    this.record(postId).deleted = true;
    this.version++;
  }

  /* ---------- timelines (ids, newest first) ---------- */

  private visibleRecordsDesc(): PostRecord[] {
    return this.cached('visible', () => {
      const out: PostRecord[] = [];
      for (let i = this.order.length - 1; i >= 0; i--) {
        const rec = this.posts.get(this.order[i])!;
        if (!rec.deleted && !this.users.get(rec.post.author_id)?.protected) out.push(rec);
      }
      return out;
    });
  }

  /** Ids of visible posts matching the query, newest first (throws QueryError). */
  search(query: string): string[] {
    return this.cached(`q:${query}`, () => {
      const match = compileQuery(query);
      return this.visibleRecordsDesc()
        .filter((r) => match(r.searchable))
        .map((r) => r.post.id);
    });
  }

  /** Memoised until the next change of users or posts. */
  private cached<T>(key: string, build: () => T): T {
    const hit = this.memo.get(key);
    if (hit && hit.version === this.version) return hit.value as T;
    const value = build();
    if (this.memo.size > 1000) this.memo.clear();
    this.memo.set(key, { version: this.version, value });
    return value;
  }

  /** For each post: who retweeted it (newest first, unique) and its quotes (newest first). */
  private references(): Map<string, { retweeters: string[]; quotes: string[] }> {
    return this.cached('refs', () => {
      const index = new Map<string, { retweeters: string[]; quotes: string[] }>();
      for (const r of this.visibleRecordsDesc())
        for (const ref of r.post.referenced_tweets ?? []) {
          if (ref.type === 'replied_to') continue;
          let entry = index.get(ref.id);
          if (!entry) index.set(ref.id, (entry = { retweeters: [], quotes: [] }));
          if (ref.type === 'quoted') entry.quotes.push(r.post.id);
          else if (!entry.retweeters.includes(r.post.author_id))
            entry.retweeters.push(r.post.author_id);
        }
      return index;
    });
  }

  /** Posts that @mention the user (retweets excluded), newest first, at most 800 as on X. */
  mentionsOf(userId: string): string[] {
    const username = this.users.get(userId)?.username.toLowerCase();
    if (!username) return [];
    return this.cached(`m:${userId}`, () =>
      this.visibleRecordsDesc()
        .filter(
          (r) =>
            !r.searchable.isRetweet &&
            (r.post.entities.mentions ?? []).some((m) => m.username.toLowerCase() === username),
        )
        .slice(0, 800)
        .map((r) => r.post.id),
    );
  }

  quotesOf(postId: string): string[] {
    return this.references().get(postId)?.quotes ?? [];
  }

  /** Users who retweeted the post, most recent first. */
  retweetersOf(postId: string): string[] {
    return this.references().get(postId)?.retweeters ?? [];
  }

  /** Users who liked the post, most recent first. */
  likersOf(postId: string): string[] {
    return [...(this.likes.get(postId) ?? [])].reverse().filter((id) => this.users.has(id));
  }

  createdAtMs(id: string): number {
    const rec = this.posts.get(id);
    return rec ? rec.createdMs : snowflakeTime(id);
  }

  /** The stored post itself, not a copy: read only (the server renders from it). */
  peek(id: string): Readonly<ScenarioPost> | undefined {
    return this.posts.get(id)?.post;
  }

  /* ---------- rendering ---------- */

  renderTweet(id: string, fields: Set<string>): ApiObject {
    const p = this.record(id).post;
    const o: ApiObject = { id: p.id, text: p.text, edit_history_tweet_ids: [p.id] };
    if (fields.has('created_at')) o.created_at = p.created_at;
    if (fields.has('author_id')) o.author_id = p.author_id;
    if (fields.has('conversation_id')) o.conversation_id = p.conversation_id;
    if (fields.has('in_reply_to_user_id') && p.in_reply_to_user_id)
      o.in_reply_to_user_id = p.in_reply_to_user_id;
    if (fields.has('lang')) o.lang = p.lang;
    if (fields.has('referenced_tweets') && p.referenced_tweets?.length)
      o.referenced_tweets = structuredClone(p.referenced_tweets);
    if (fields.has('entities') && Object.keys(p.entities).length)
      o.entities = structuredClone(p.entities);
    if (fields.has('geo') && p.geo) o.geo = { place_id: p.geo.place_id };
    if (fields.has('public_metrics')) {
      const retweeted = p.referenced_tweets?.find((r) => r.type === 'retweeted');
      // A retweet's metrics are not its own: X shows the original's retweet_count, zeros elsewhere.
      o.public_metrics = retweeted
        ? {
            ...ZERO_METRICS,
            retweet_count: this.posts.get(retweeted.id)?.post.public_metrics.retweet_count ?? 0,
          }
        : { ...p.public_metrics };
    }
    if (fields.has('possibly_sensitive')) o.possibly_sensitive = !!p.possibly_sensitive;
    if (fields.has('reply_settings')) o.reply_settings = 'everyone';
    if (fields.has('source') && p.source) o.source = p.source;
    if (fields.has('edit_controls')) {
      const until = Date.parse(p.created_at) + 3_600_000;
      o.edit_controls = {
        edits_remaining: 5,
        is_edit_eligible: !p.referenced_tweets?.some((r) => r.type === 'retweeted'),
        editable_until: new Date(until).toISOString(),
      };
    }
    if (fields.has('display_text_range')) {
      const lead = /^(?:@[A-Za-z0-9_]{1,15}\s+)*/.exec(p.text)![0];
      o.display_text_range = [p.in_reply_to_user_id ? [...lead].length : 0, [...p.text].length];
    }
    return o;
  }

  renderUser(id: string, fields: Set<string>): ApiObject {
    const u = this.users.get(id);
    if (!u) throw new Error(`fake-x: unknown user ${id}`);
    const o: ApiObject = { id: u.id, name: u.name, username: u.username };
    if (fields.has('created_at'))
      o.created_at = u.created_at ?? new Date(snowflakeTime(u.id)).toISOString();
    if (fields.has('description')) o.description = u.description ?? '';
    if (fields.has('location') && u.location) o.location = u.location;
    if (fields.has('protected')) o.protected = !!u.protected;
    if (fields.has('verified')) o.verified = !!u.verified;
    if (fields.has('public_metrics')) o.public_metrics = { ...u.public_metrics };
    if (fields.has('profile_image_url'))
      o.profile_image_url =
        u.profile_image_url ??
        'https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png';
    if (fields.has('url')) o.url = '';
    if (fields.has('receives_your_dm')) o.receives_your_dm = u.accepts_dms !== false;
    return o;
  }

  renderPlace(id: string, fields: Set<string>): ApiObject {
    const p = this.places.get(id)!;
    const o: ApiObject = { full_name: p.full_name, id: p.id };
    if (fields.has('name') && p.name) o.name = p.name;
    if (fields.has('country') && p.country) o.country = p.country;
    if (fields.has('country_code') && p.country_code) o.country_code = p.country_code;
    if (fields.has('place_type') && p.place_type) o.place_type = p.place_type;
    if (fields.has('geo') && p.geo) o.geo = structuredClone(p.geo);
    if (fields.has('contained_within')) o.contained_within = [];
    return o;
  }

  /* ---------- export ---------- */

  /** The current state as a scenario (runtime additions included, deleted posts left out). */
  toScenario(): Scenario {
    const posts: ScenarioPost[] = [];
    for (const id of this.order) {
      const rec = this.posts.get(id)!;
      if (rec.deleted) continue;
      const post: ScenarioPost = structuredClone(rec.post);
      const likes = this.likes.get(id);
      if (likes?.length) post.liked_by = [...likes];
      posts.push(post);
    }
    return {
      version: 1,
      ...(this.owner ? { owner: this.owner } : {}),
      users: [...this.users.values()].map((u) => structuredClone(u)),
      places: [...this.places.values()].map((p) => structuredClone(p)),
      posts,
    };
  }

  counts(): { users: number; posts: number; places: number; dms: number } {
    return {
      users: this.users.size,
      posts: this.posts.size,
      places: this.places.size,
      dms: this.dms.length,
    };
  }
}
