import { createRng, snowflake } from './snowflake.js';
import { retweetText } from './store.js';
import type { Scenario, ScenarioPost, ScenarioUser } from './types.js';

/**
 * A Social Derby month: the accounts of a city's streets and squares competing, and people
 * posting about them (French and English originals, retweets, replies and quotes of the streets'
 * posts), all made up. Unlike `generateScenario`, the four trophies have winners decided here,
 * by construction and with wide margins, so a test can check the derby against `expected`
 * without recomputing it:
 * - MOST_FOLLOWERS: one street has 12,000–15,000 followers, every other account at most 7,000;
 * - BEST_FOLLOWER_RATIO: one street follows 40–60 accounts for 5,000–7,000 followers (ratio
 *   ≥ 83), every other street's ratio is at most 10;
 * - MOST_SHARED_POST: one post of a third street is retweeted 400+ times (30 of them by people
 *   of the scenario), every other post at most ~25 times;
 * - HIGHEST_ENGAGEMENT: a fourth street with 300–400 followers gets 70–130 interactions per post
 *   (≥ 0.17 per post per follower), every other street at most ~0.07.
 * Every post is findable by the destination's polling: it carries the derby hashtag or mentions
 * a street (retweets and replies of a street's post start with `@street`). Same options →
 * byte-identical output.
 */
export interface DerbyPlace {
  /** The street's X account, without '@'. */
  handle: string;
  /** e.g. "rue du Chapitre". */
  name: string;
}

export interface DerbyScenarioOptions {
  seed: number | string;
  /** The competing streets (at least 4: one per trophy). */
  places: DerbyPlace[];
  /** Start and end of the month (posts fall strictly inside, a few hours from each end). */
  start: Date | string;
  end: Date | string;
  /** Posts of every kind, the streets' own included. Default 3000. */
  posts?: number;
  /** People posting, besides the streets. Default 360. */
  people?: number;
  /** Default 'RennesSocialDerby'. */
  hashtag?: string;
  /** Share of French-speaking people, default 0.65. */
  frenchShare?: number;
  /**
   * Posts of recent days after the month (for scores, which look at the last 90 days): the
   * streets and the first `authors` people (default 60) posting as in the month, no viral post.
   */
  recent?: { start: Date | string; end: Date | string; posts: number; authors?: number };
}

export interface DerbyPerson {
  username: string;
  firstName: string;
  lastName: string;
  lang: 'fr' | 'en';
}

export interface DerbyExpectation {
  MOST_FOLLOWERS: { handle: string; followers: number };
  BEST_FOLLOWER_RATIO: { handle: string; followers: number; following: number };
  MOST_SHARED_POST: { handle: string; postId: string; retweetCount: number };
  HIGHEST_ENGAGEMENT: { handle: string };
}

export interface DerbyScenario {
  scenario: Scenario;
  people: DerbyPerson[];
  expected: DerbyExpectation;
}

const FIRST_FR = [
  'Camille',
  'Louise',
  'Léa',
  'Manon',
  'Chloé',
  'Inès',
  'Jules',
  'Hugo',
  'Lucas',
  'Théo',
  'Nathan',
  'Arthur',
  'Margaux',
  'Élodie',
  'Mathis',
  'Zoé',
  'Baptiste',
  'Anaïs',
  'Romain',
  'Céline',
  'Yann',
  'Gwenaëlle',
  'Erwan',
  'Maël',
];
const FIRST_EN = [
  'Olivia',
  'Emma',
  'Amelia',
  'Grace',
  'Harper',
  'Jack',
  'Oliver',
  'Noah',
  'Liam',
  'Ethan',
  'Mia',
  'Ella',
  'Henry',
  'Leo',
  'Ruby',
  'Isla',
  'Oscar',
  'Freya',
];
const LAST_FR = [
  'Martin',
  'Bernard',
  'Dubois',
  'Moreau',
  'Laurent',
  'Girard',
  'Roux',
  'Fournier',
  'Le Gall',
  'Le Goff',
  'Guillou',
  'Tanguy',
  'Morvan',
  'Hamon',
  'Lemoine',
  'Perrot',
];
const LAST_EN = [
  'Smith',
  'Taylor',
  'Brown',
  'Walker',
  'Wright',
  'Hughes',
  'Clarke',
  'Turner',
  'Parker',
  'Cooper',
  'Evans',
  'Murphy',
];

type Lang = 'fr' | 'en';

/** {s} is a street's name, {h} its handle. Keywords feed the interest taxonomy. */
const STREET_POSTS = [
  'Ce soir {s} : concert acoustique dans nos bars 🎶',
  'Marché du samedi matin, producteurs locaux et galettes saucisses {s} 🥞',
  'Les maisons à colombages de {s} sous le soleil ☀️',
  'Happy hour dans tous les bars de {s} jusqu’à 21h 🍻',
  'Nouvelle crêperie {s}, venez goûter la galette complète !',
  'Balade patrimoine {s} : l’histoire de nos façades du XVe siècle',
  'Expo photo en plein air {s} tout le mois',
  'Votez pour {s} au Social Derby, on compte sur vous ! 💪',
  'Brunch et cidre breton {s} ce dimanche',
  'Dj set gratuit {s} vendredi soir 🎧',
];
const PEOPLE_POSTS: Record<Lang, string[]> = {
  fr: [
    'Super soirée {s}, l’ambiance était folle 🎉',
    'Meilleure galette saucisse de Rennes, {s} sans hésiter',
    'Les colombages de {s} au coucher du soleil, magnifique',
    'Petit cidre en terrasse {s} ☀️',
    'Concert génial hier soir {s} 🎶',
    'On a adoré le marché {s}, fromages et crêpes 😍',
    'Trop de monde {s} ce soir, impossible d’avancer',
    'Balade en vélo dans le centre historique, {s} est superbe 🚲',
    'Musée puis crêperie {s}, journée parfaite',
    'Bruit toute la nuit {s}, dommage',
  ],
  en: [
    'Great night out on {s}, amazing vibe 🎉',
    'Best crêpes in Rennes, {s} for sure',
    'Half-timbered houses on {s} at sunset, stunning',
    'Cider on a terrace on {s} ☀️',
    'Brilliant gig last night on {s} 🎶',
    'Loved the market on {s}, cheese and galettes 😍',
    'Way too crowded on {s} tonight, disappointed',
    'Cycling through the old town, {s} is gorgeous 🚲',
    'Museum then a crêperie on {s}, perfect day',
  ],
};
const REPLIES: Record<Lang, string[]> = {
  fr: ['On y sera !', 'Trop bien 😍', 'Allez la rue !', 'Vivement ce soir', 'Merci pour l’info'],
  en: ['See you there!', 'Love it 😍', 'Go go go!', 'Can’t wait', 'Thanks for sharing'],
};
const QUOTES: Record<Lang, string[]> = {
  fr: ['À ne pas rater', 'Exactement ça', 'Mon vote est fait'],
  en: ['Not to be missed', 'Exactly this', 'Voted!'],
};
const OTHER_TAGS = ['Rennes', 'GaletteSaucisse', 'Bretagne', 'RennesByNight'];
const SHORT_URL_CHARS = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function generateDerbyScenario(options: DerbyScenarioOptions): DerbyScenario {
  const rand = createRng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const chance = (p: number) => rand() < p;
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  const hashtag = options.hashtag ?? 'RennesSocialDerby';
  const totalPosts = options.posts ?? 3000;
  const peopleCount = options.people ?? 360;
  const frenchShare = options.frenchShare ?? 0.65;
  const startMs = new Date(options.start).getTime() + 6 * 3600_000;
  const endMs = new Date(options.end).getTime() - 6 * 3600_000;
  if (!(startMs < endMs)) throw new Error('generateDerbyScenario: the period is too short');
  if (options.places.length < 4)
    throw new Error('generateDerbyScenario: at least 4 places, one per trophy');

  /* the streets, and which one wins what (a seeded shuffle) */
  const order = options.places.map((p, i) => ({ p, k: rand(), i }));
  order.sort((a, b) => a.k - b.k || a.i - b.i);
  const [followersWinner, ratioWinner, sharedWinner, engagementWinner] = order.map((o) => o.p);
  let userSeq = 0;
  const users: ScenarioUser[] = [];
  const streetIds = new Map<string, string>();
  for (const place of options.places) {
    if (!/^[A-Za-z0-9_]{1,15}$/.test(place.handle))
      throw new Error(`generateDerbyScenario: bad handle ${place.handle}`);
    let followers = int(800, 4_000);
    let following = int(400, 900);
    if (place === followersWinner)
      [followers, following] = [int(12_000, 15_000), int(2_000, 3_000)];
    if (place === ratioWinner) [followers, following] = [int(5_000, 7_000), int(40, 60)];
    if (place === engagementWinner) [followers, following] = [int(300, 400), int(250, 350)];
    if (place === sharedWinner) [followers, following] = [int(1_500, 3_000), int(300, 600)];
    const created = startMs - int(1500, 3000) * 86_400_000;
    const user: ScenarioUser = {
      id: snowflake(created, 3, userSeq++),
      username: place.handle,
      name: place.name.charAt(0).toUpperCase() + place.name.slice(1),
      created_at: new Date(created).toISOString(),
      description: `Le compte de ${place.name}, Rennes · #${hashtag}`,
      location: 'Rennes, France',
      verified: false,
      public_metrics: {
        followers_count: followers,
        following_count: following,
        tweet_count: int(500, 5_000),
        listed_count: int(5, 80),
      },
    };
    users.push(user);
    streetIds.set(place.handle, user.id);
  }

  /* people */
  const people: DerbyPerson[] = [];
  const langOf = new Map<string, Lang>();
  const taken = new Set(options.places.map((p) => p.handle.toLowerCase()));
  const ascii = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[^A-Za-z]/g, '')
      .toLowerCase();
  for (let i = 0; i < peopleCount; i++) {
    const lang: Lang = chance(frenchShare) ? 'fr' : 'en';
    const firstName = pick(lang === 'fr' ? FIRST_FR : FIRST_EN);
    const lastName = pick(lang === 'fr' ? LAST_FR : LAST_EN);
    let username = `${ascii(firstName)}_${ascii(lastName)}`.slice(0, 15);
    while (taken.has(username.toLowerCase()))
      username = `${ascii(firstName).slice(0, 9)}_${ascii(lastName).slice(0, 2)}${int(10, 999)}`;
    taken.add(username.toLowerCase());
    const influencer = chance(0.04);
    const created = startMs - int(30, 3000) * 86_400_000;
    const user: ScenarioUser = {
      id: snowflake(created, 3, userSeq++),
      username,
      name: `${firstName} ${lastName}`,
      created_at: new Date(created).toISOString(),
      description: lang === 'fr' ? 'Rennes, crêpes et concerts' : 'Travel, food and music',
      public_metrics: {
        // Below every street that must win on followers or ratio, whatever the people do.
        followers_count: influencer ? int(3_000, 7_000) : Math.floor(Math.exp(rand() * 7.5)),
        following_count: int(80, 1_500),
        tweet_count: int(50, 20_000),
        listed_count: int(0, influencer ? 200 : 10),
      },
    };
    users.push(user);
    langOf.set(user.id, lang);
    people.push({ username, firstName, lastName, lang });
  }
  const peopleUsers = users.slice(options.places.length);

  /* posts, in time order: the month, then (optionally) recent days with another generator */
  const posts: ScenarioPost[] = [];
  const handleOf = new Map([...streetIds].map(([h, id]) => [id, h]));
  let lastId = 0n;
  let viral: ScenarioPost | undefined;
  let viralRetweetsLeft = 30;
  const writePosts = (
    r: () => number,
    fromMs: number,
    toMs: number,
    count: number,
    authors: ScenarioUser[],
    withViral: boolean,
  ) => {
    const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)];
    const chance = (p: number) => r() < p;
    const int = (min: number, max: number) => min + Math.floor(r() * (max - min + 1));
    const tags = () =>
      `#${hashtag}` +
      (chance(0.3) ? ` #${pick(OTHER_TAGS)}` : '') +
      (chance(0.1) ? ' #Rennes' : '');
    const times = Array.from(
      { length: count },
      () => fromMs + Math.floor(r() * (toMs - fromMs + 1)),
    ).sort((a, b) => a - b);
    const written: ScenarioPost[] = [];
    const streetPosts: ScenarioPost[] = [];
    for (let i = 0; i < count; i++) {
      const created = times[i];
      let id = BigInt(snowflake(created, 0, (posts.length + written.length) & 0xfff));
      if (id <= lastId) id = lastId + 1n;
      lastId = id;
      const base = { id: id.toString(), created_at: new Date(created).toISOString() };
      let post: ScenarioPost;
      // A street posts about one time in ten; the shared winner's viral post comes in the first third.
      const streetTurn = chance(0.1) || streetPosts.length === 0;
      const roll = r();
      if (streetTurn) {
        const place =
          withViral && !viral && i > count / 5 && i < count / 3
            ? sharedWinner
            : pick(options.places);
        const text = `${pick(STREET_POSTS).replace('{s}', place.name)} ${tags()}`;
        post = { ...base, author_id: streetIds.get(place.handle)!, text, lang: 'fr' };
        if (withViral && place === sharedWinner && !viral) viral = post;
        streetPosts.push(post);
      } else {
        const author = pick(authors);
        const lang = langOf.get(author.id)!;
        const forceViral = withViral && viral && viralRetweetsLeft > 0 && chance(0.15);
        const target = forceViral ? viral! : pick(streetPosts.slice(-120));
        const targetHandle = handleOf.get(target.author_id)!;
        if (forceViral || roll < 0.15) {
          if (target === viral) viralRetweetsLeft--;
          post = {
            ...base,
            author_id: author.id,
            text: retweetText(targetHandle, target.text),
            lang: target.lang,
            referenced_tweets: [{ type: 'retweeted', id: target.id }],
          };
        } else if (roll < 0.27) {
          post = {
            ...base,
            author_id: author.id,
            text: `@${targetHandle} ${pick(REPLIES[lang])}`,
            lang,
            referenced_tweets: [{ type: 'replied_to', id: target.id }],
            in_reply_to_user_id: target.author_id,
            conversation_id: target.conversation_id ?? target.id,
          };
        } else if (roll < 0.32) {
          const short = Array.from({ length: 10 }, () => pick([...SHORT_URL_CHARS])).join('');
          post = {
            ...base,
            author_id: author.id,
            text: `${pick(QUOTES[lang])} @${targetHandle} #${hashtag} https://t.co/${short}`,
            lang,
            referenced_tweets: [{ type: 'quoted', id: target.id }],
          };
        } else {
          const place = pick(options.places);
          let text = pick(PEOPLE_POSTS[lang]).replace('{s}', place.name);
          const mention = chance(0.6);
          if (mention) text += ` @${place.handle}`;
          if (!mention || chance(0.7)) text += ` ${tags()}`;
          post = { ...base, author_id: author.id, text, lang };
        }
      }
      post.conversation_id ??= post.id;
      written.push(post);
    }

    /* engagement: the scenario's own retweets / replies / quotes, plus people outside it */
    const refCount = new Map<string, { retweeted: number; quoted: number; replied_to: number }>();
    for (const p of written)
      for (const ref of p.referenced_tweets ?? []) {
        const c = refCount.get(ref.id) ?? { retweeted: 0, quoted: 0, replied_to: 0 };
        c[ref.type]++;
        refCount.set(ref.id, c);
      }
    const streetSet = new Set(streetPosts);
    for (const p of written) {
      if (p.referenced_tweets?.some((ref) => ref.type === 'retweeted')) continue;
      const c = refCount.get(p.id) ?? { retweeted: 0, quoted: 0, replied_to: 0 };
      const hot = streetSet.has(p) && handleOf.get(p.author_id) === engagementWinner.handle;
      const outside = {
        likes: hot ? int(55, 90) : streetSet.has(p) ? int(2, 20) : int(0, 8),
        retweets: p === viral ? int(370, 399) : hot ? int(8, 15) : int(0, streetSet.has(p) ? 5 : 2),
      };
      const likers = new Set<string>();
      const wanted = Math.min(outside.likes, int(0, 6));
      for (let k = 0; k < wanted * 2 && likers.size < wanted; k++) {
        const u = pick(peopleUsers);
        if (u.id !== p.author_id) likers.add(u.id);
      }
      if (likers.size) p.liked_by = [...likers];
      const likeCount = likers.size + outside.likes;
      const retweetCount = c.retweeted + outside.retweets;
      p.public_metrics = {
        retweet_count: retweetCount,
        reply_count: c.replied_to + (hot ? int(3, 8) : 0),
        like_count: likeCount,
        quote_count: c.quoted + (hot ? int(1, 3) : 0),
        bookmark_count: Math.floor(likeCount / 8),
        impression_count: (likeCount + retweetCount + 1) * int(20, 60),
      };
    }
    posts.push(...written);
  };
  writePosts(rand, startMs, endMs, totalPosts, peopleUsers, true);
  if (!viral) throw new Error('generateDerbyScenario: too few posts for a viral one');
  if (options.recent) {
    // Another generator: the month stays byte-identical whatever the recent days are.
    const recentStart = new Date(options.recent.start).getTime();
    const recentEnd = new Date(options.recent.end).getTime();
    if (!(endMs < recentStart && recentStart < recentEnd))
      throw new Error('generateDerbyScenario: recent days must come after the month');
    const regulars = peopleUsers.slice(0, options.recent.authors ?? 60);
    writePosts(
      createRng(`${options.seed}/recent`),
      recentStart,
      recentEnd,
      options.recent.posts,
      regulars,
      false,
    );
  }

  const street = (place: DerbyPlace) => users.find((u) => u.username === place.handle)!;
  return {
    scenario: {
      version: 1,
      seed: options.seed,
      owner: options.places[0].handle,
      users,
      places: [],
      posts,
    },
    people,
    expected: {
      MOST_FOLLOWERS: {
        handle: followersWinner.handle,
        followers: street(followersWinner).public_metrics.followers_count,
      },
      BEST_FOLLOWER_RATIO: {
        handle: ratioWinner.handle,
        followers: street(ratioWinner).public_metrics.followers_count,
        following: street(ratioWinner).public_metrics.following_count,
      },
      MOST_SHARED_POST: {
        handle: sharedWinner.handle,
        postId: viral.id,
        retweetCount: viral.public_metrics!.retweet_count!,
      },
      HIGHEST_ENGAGEMENT: { handle: engagementWinner.handle },
    },
  };
}
