import type { TweetV2, UserV2 } from 'twitter-api-v2';
import { SocialProvider } from '../visitors/social-identity.entity.js';
import { InteractionKind } from './interaction.entity.js';
import { mapXEngagement, mapXTweets } from './x-mapping.js';

const user = (id: string, username: string): UserV2 => ({
  id,
  name: username,
  username,
  public_metrics: { followers_count: 10, following_count: 5, tweet_count: 42, listed_count: 0 },
});

const tweet = (over: Partial<TweetV2>): TweetV2 => ({
  id: '100',
  text: 'hello',
  edit_history_tweet_ids: ['100'],
  author_id: '1',
  created_at: '2026-01-05T10:00:00.000Z',
  lang: 'fr',
  public_metrics: {
    retweet_count: 2,
    reply_count: 3,
    like_count: 4,
    quote_count: 5,
    impression_count: 600,
  },
  ...over,
});

const ctx = { watchedHandles: ['Escale_Annecy', '@talloires_spa'] };
const includes = { users: [user('1', 'alice'), user('2', 'bob')] };

describe('mapXTweets', () => {
  it('maps a plain post with its author, metrics and entities', () => {
    const [post] = mapXTweets(
      [
        tweet({
          text: 'Superbe #Annecy #annecy',
          entities: {
            hashtags: [
              { start: 8, end: 15, tag: 'Annecy' },
              { start: 16, end: 23, tag: 'annecy' },
            ],
          } as TweetV2['entities'],
        }),
      ],
      includes,
      ctx,
    );
    expect(post).toMatchObject({
      provider: SocialProvider.TWITTER,
      externalId: '100',
      kind: InteractionKind.POST,
      authorExternalId: '1',
      authorHandle: 'alice',
      authorFollowersCount: 10,
      authorFollowingCount: 5,
      authorPostCount: 42,
      lang: 'fr',
      url: 'https://x.com/alice/status/100',
      hashtags: ['Annecy'],
      metrics: { likes: 4, shares: 2, replies: 3, quotes: 5, impressions: 600 },
      possiblySensitive: false,
    });
    expect(post.occurredAt.toISOString()).toBe('2026-01-05T10:00:00.000Z');
  });

  it('maps referenced_tweets: retweeted → RETWEET, quoted → QUOTE, replied_to → REPLY', () => {
    const original = tweet({
      id: '50',
      author_id: '2',
      text: 'Le lac #LacAnnecy',
      entities: { hashtags: [{ start: 7, end: 17, tag: 'LacAnnecy' }] } as TweetV2['entities'],
    });
    const items = mapXTweets(
      [
        tweet({
          id: '101',
          text: 'RT @bob: Le lac…',
          referenced_tweets: [{ type: 'retweeted', id: '50' }],
        }),
        tweet({ id: '102', referenced_tweets: [{ type: 'quoted', id: '50' }] }),
        tweet({ id: '103', referenced_tweets: [{ type: 'replied_to', id: '50' }] }),
      ],
      { ...includes, tweets: [original] },
      ctx,
    );
    expect(items.map((i) => i.kind)).toEqual([
      InteractionKind.RETWEET,
      InteractionKind.QUOTE,
      InteractionKind.REPLY,
    ]);
    expect(items.map((i) => i.referencedExternalId)).toEqual(['50', '50', '50']);
    expect(items[2].inReplyToExternalId).toBe('50');
    // A retweet takes its hashtags from the original and does not carry the original's metrics.
    expect(items[0].hashtags).toEqual(['LacAnnecy']);
    expect(items[0].metrics).toBeUndefined();
  });

  it('a post mentioning a destination or place handle is a MENTION, other mentions a POST', () => {
    const mention = (username: string) =>
      ({
        mentions: [{ start: 0, end: username.length + 1, username, id: '9' }],
      }) as TweetV2['entities'];
    const items = mapXTweets(
      [
        tweet({ id: '1', entities: mention('escale_annecy') }),
        tweet({ id: '2', entities: mention('TALLOIRES_SPA') }),
        tweet({ id: '3', entities: mention('someone_else') }),
      ],
      includes,
      ctx,
    );
    expect(items.map((i) => i.kind)).toEqual([
      InteractionKind.MENTION,
      InteractionKind.MENTION,
      InteractionKind.POST,
    ]);
    expect(items[0].mentions).toEqual(['escale_annecy']);
  });

  it('copes with partial answers: no data, missing author, missing referenced post', () => {
    expect(mapXTweets(undefined, undefined, ctx)).toEqual([]);
    const [post] = mapXTweets(
      [tweet({ author_id: '77', referenced_tweets: [{ type: 'retweeted', id: 'gone' }] })],
      undefined,
      ctx,
    );
    expect(post).toMatchObject({ kind: InteractionKind.RETWEET, authorExternalId: '77' });
    expect(post.authorHandle).toBeUndefined();
  });
});

describe('mapXEngagement', () => {
  it('makes one LIKE / RETWEET per user with a stable external id', () => {
    const at = new Date('2026-01-05T00:00:00Z');
    const likes = mapXEngagement(InteractionKind.LIKE, '50', [user('1', 'alice')], at);
    const rts = mapXEngagement(InteractionKind.RETWEET, '50', [user('2', 'bob')], at);
    expect(likes[0]).toMatchObject({
      externalId: 'like:50:1',
      kind: InteractionKind.LIKE,
      authorExternalId: '1',
      authorHandle: 'alice',
      referencedExternalId: '50',
      occurredAt: at,
    });
    expect(rts[0]).toMatchObject({ externalId: 'retweet:50:2', kind: InteractionKind.RETWEET });
  });
});
