import type { ApiV2Includes, TweetV2, UserV2 } from 'twitter-api-v2';
import { SocialProvider } from '../visitors/social-identity.entity.js';
import { InteractionKind } from './interaction.entity.js';
import type { NormalizedPost } from './social.types.js';

/** What every X read asks for: enough to map a post, its author and what it refers to. */
export const X_TWEET_PARAMS = {
  'tweet.fields': [
    'created_at',
    'author_id',
    'conversation_id',
    'in_reply_to_user_id',
    'lang',
    'referenced_tweets',
    'entities',
    'geo',
    'public_metrics',
    'possibly_sensitive',
  ].join(','),
  'user.fields': ['public_metrics'].join(','),
  expansions: ['author_id', 'referenced_tweets.id', 'referenced_tweets.id.author_id'].join(','),
} as const;

export const X_USER_PARAMS = { 'user.fields': 'public_metrics' } as const;

export interface XMappingContext {
  /** Destination and place handles, any case, with or without '@': a post naming one is a MENTION. */
  watchedHandles: Iterable<string>;
}

const norm = (handle: string) => handle.replace(/^@/, '').toLowerCase();

/** The kind of a post: referenced_tweets first (retweet, quote, reply), then mentions, else POST. */
export function xKind(tweet: TweetV2, watched: ReadonlySet<string>): InteractionKind {
  const refs = tweet.referenced_tweets ?? [];
  if (refs.some((r) => r.type === 'retweeted')) return InteractionKind.RETWEET;
  if (refs.some((r) => r.type === 'quoted')) return InteractionKind.QUOTE;
  if (refs.some((r) => r.type === 'replied_to')) return InteractionKind.REPLY;
  const mentions = tweet.entities?.mentions ?? [];
  if (mentions.some((m) => watched.has(norm(m.username)))) return InteractionKind.MENTION;
  return InteractionKind.POST;
}

function authorFields(user: UserV2 | undefined): Partial<NormalizedPost> {
  if (!user) return {};
  const m = user.public_metrics;
  return {
    authorHandle: user.username,
    ...(m?.followers_count != null && { authorFollowersCount: m.followers_count }),
    ...(m?.following_count != null && { authorFollowingCount: m.following_count }),
    ...(m?.tweet_count != null && { authorPostCount: m.tweet_count }),
  };
}

/**
 * Maps a page of X posts (data + includes) to the pipeline's NormalizedPost. A retweet's text is
 * cut at 140 characters, so its hashtags and mentions are those of the original when includes
 * have it. A retweet's public_metrics are the original's (X does so): they are not copied.
 */
export function mapXTweets(
  tweets: readonly TweetV2[] | undefined,
  includes: ApiV2Includes | undefined,
  context: XMappingContext,
): NormalizedPost[] {
  const watched = new Set([...context.watchedHandles].map(norm));
  const users = new Map((includes?.users ?? []).map((u) => [u.id, u]));
  const referenced = new Map((includes?.tweets ?? []).map((t) => [t.id, t]));
  const out: NormalizedPost[] = [];
  for (const tweet of tweets ?? []) {
    if (!tweet.author_id) continue; // not mappable without author (fields not requested)
    const kind = xKind(tweet, watched);
    const refs = tweet.referenced_tweets ?? [];
    const ref =
      refs.find((r) => r.type === 'retweeted') ??
      refs.find((r) => r.type === 'quoted') ??
      refs.find((r) => r.type === 'replied_to');
    const replyTo = refs.find((r) => r.type === 'replied_to');
    const original = kind === InteractionKind.RETWEET && ref ? referenced.get(ref.id) : undefined;
    const entities = original?.entities ?? tweet.entities;
    const author = users.get(tweet.author_id);
    const m = tweet.public_metrics;
    const post: NormalizedPost = {
      provider: SocialProvider.TWITTER,
      externalId: tweet.id,
      kind,
      authorExternalId: tweet.author_id,
      ...authorFields(author),
      text: tweet.text,
      ...(tweet.lang && tweet.lang !== 'und' && { lang: tweet.lang }),
      url: `https://x.com/${author?.username ?? 'i'}/status/${tweet.id}`,
      occurredAt: tweet.created_at ? new Date(tweet.created_at) : new Date(),
      ...(replyTo && { inReplyToExternalId: replyTo.id }),
      ...(ref && { referencedExternalId: ref.id }),
      hashtags: dedupe((entities?.hashtags ?? []).map((h) => h.tag)),
      mentions: dedupe((tweet.entities?.mentions ?? []).map((x) => x.username)),
      ...(m &&
        kind !== InteractionKind.RETWEET && {
          metrics: {
            likes: m.like_count,
            shares: m.retweet_count,
            replies: m.reply_count,
            quotes: m.quote_count,
            ...(m.impression_count != null && { impressions: m.impression_count }),
          },
        }),
      possiblySensitive: tweet.possibly_sensitive === true,
    };
    out.push(post);
  }
  return out;
}

/**
 * Likes and retweets of one of the destination's own posts, read from liking_users /
 * retweeted_by (which give users, not dates: the read time stands in). One interaction per
 * (post, user, kind): the external id is derived, so re-reading updates instead of duplicating.
 */
export function mapXEngagement(
  kind: InteractionKind.LIKE | InteractionKind.RETWEET,
  postId: string,
  users: readonly UserV2[],
  seenAt: Date,
): NormalizedPost[] {
  const prefix = kind === InteractionKind.LIKE ? 'like' : 'retweet';
  return users.map((user) => ({
    provider: SocialProvider.TWITTER,
    externalId: `${prefix}:${postId}:${user.id}`,
    kind,
    authorExternalId: user.id,
    ...authorFields(user),
    occurredAt: seenAt,
    referencedExternalId: postId,
  }));
}

function dedupe(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = v.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
