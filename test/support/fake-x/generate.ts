import { createRng, snowflake } from './snowflake.js';
import { retweetText } from './store.js';
import type { Scenario, ScenarioPlace, ScenarioPost, ScenarioUser } from './types.js';

/**
 * A synthetic scenario: made-up people posting made-up texts (French and English) with the
 * hashtags and handles a destination tracks. Nothing comes from the real network. The same
 * options (seed, counts, start and end included) give byte-identical output.
 */
export interface GenerateOptions {
  seed: number | string;
  /** Ordinary people, besides the `handles` accounts. Default 50. */
  users?: number;
  /** Posts, all kinds together. Default 500. */
  posts?: number;
  /** Hashtags people use (without '#'). Default ['Escale', 'LacAnnecy', 'montagne']. */
  hashtags?: string[];
  /** Accounts of the destination and its places (without '@'); they post, and are mentioned.
   * The first is the scenario's `owner`. Default ['escale_annecy']. */
  handles?: string[];
  /** First post time. Default `end` - 6 days. */
  start?: Date | string;
  /** Last post time. Default now, rounded down to the minute (pass it for reproducible output). */
  end?: Date | string;
  /** Share of French-speaking people, default 0.6 (the others write English). */
  frenchShare?: number;
  /** Share of kinds among posts, default { retweet: 0.2, reply: 0.1, quote: 0.1 } (rest: originals). */
  mix?: { retweet?: number; reply?: number; quote?: number };
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
  'Logan',
  'Ivy',
];
const LAST = [
  'Martin',
  'Bernard',
  'Dubois',
  'Moreau',
  'Laurent',
  'Girard',
  'Roux',
  'Fournier',
  'Morel',
  'Mercier',
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
];
const CITIES = [
  'Lyon',
  'Paris',
  'Grenoble',
  'Genève',
  'Marseille',
  'London',
  'Bruxelles',
  'Montréal',
  'Manchester',
  'Bordeaux',
];

const PLACES: Omit<ScenarioPlace, 'id'>[] = [
  {
    full_name: 'Annecy, France',
    name: 'Annecy',
    country: 'France',
    country_code: 'FR',
    place_type: 'city',
  },
  {
    full_name: 'Talloires-Montmin, France',
    name: 'Talloires-Montmin',
    country: 'France',
    country_code: 'FR',
    place_type: 'city',
  },
  {
    full_name: 'Chamonix-Mont-Blanc, France',
    name: 'Chamonix-Mont-Blanc',
    country: 'France',
    country_code: 'FR',
    place_type: 'city',
  },
  {
    full_name: 'Le Grand-Bornand, France',
    name: 'Le Grand-Bornand',
    country: 'France',
    country_code: 'FR',
    place_type: 'city',
  },
];

type Lang = 'fr' | 'en';
type Mood = 'positive' | 'neutral' | 'negative';

/** Sentences by language and mood; {a} is an activity, {p} a place word. */
const SENTENCES: Record<Lang, Record<Mood, string[]>> = {
  fr: {
    positive: [
      'Quelle journée magnifique, {a} au bord du lac ☀️',
      'Super séance de {a} ce matin, vue incroyable sur {p} !',
      'On a adoré le week-end, {a} et fondue le soir 😍',
      'Coup de cœur pour {p}, on revient très vite',
      'Meilleur {a} de l’été, merci pour l’accueil chaleureux',
      'Le marché du dimanche est génial, fromages et vins locaux 🧀',
      'Balade en vélo autour du lac, un vrai bonheur 🚲',
      'Premiers pas en parapente, sensations incroyables 🏔️',
    ],
    neutral: [
      'En route vers {p} pour quelques jours',
      'Quelqu’un connaît un bon endroit pour le {a} près de {p} ?',
      'Programme du jour : {a} puis musée',
      'Arrivés à {p}, météo nuageuse',
      'Petite pause café avant le {a}',
    ],
    negative: [
      'Trop de monde au bord du lac aujourd’hui, déçu',
      'Parking complet à {p}, quelle galère',
      'Pluie toute la journée, {a} annulé 😞',
      'Service très lent au restaurant, dommage',
    ],
  },
  en: {
    positive: [
      'What a stunning day, {a} by the lake ☀️',
      'Amazing {a} session this morning, incredible views over {p}!',
      'Loved the weekend: {a} and cheese fondue at night 😍',
      'Fell in love with {p}, coming back soon',
      'Best {a} of the summer, thanks for the warm welcome',
      'The Sunday market is great, local cheese and wine 🧀',
      'Cycling around the lake, pure joy 🚲',
      'First paragliding flight, what a feeling 🏔️',
    ],
    neutral: [
      'Heading to {p} for a few days',
      'Anyone know a good spot for {a} near {p}?',
      'Plan for today: {a} then a museum',
      'Arrived in {p}, cloudy weather',
      'Quick coffee before {a}',
    ],
    negative: [
      'Way too crowded by the lake today, disappointed',
      'Car park full in {p}, what a hassle',
      'Rain all day, {a} cancelled 😞',
      'Very slow service at the restaurant, shame',
    ],
  },
};
const ACTIVITIES: Record<Lang, string[]> = {
  fr: ['randonnée', 'ski', 'paddle', 'vélo', 'baignade', 'escalade', 'spa', 'voile'],
  en: ['hiking', 'skiing', 'paddleboarding', 'cycling', 'swimming', 'climbing', 'spa', 'sailing'],
};
const REPLIES: Record<Lang, string[]> = {
  fr: [
    'Trop beau !',
    'Je confirme, superbe endroit',
    'Merci pour le conseil',
    'Ah dommage…',
    'On y était aussi !',
  ],
  en: [
    'So beautiful!',
    'Agreed, lovely place',
    'Thanks for the tip',
    'Oh, too bad…',
    'We were there too!',
  ],
};
const SHORT_URL_CHARS = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const QUOTES: Record<Lang, string[]> = {
  fr: ['À faire absolument', 'Exactement ça', 'Prochaine étape pour nous', 'Pas d’accord…'],
  en: ['A must do', 'Exactly this', 'Next on our list', 'Not so sure…'],
};

export function generateScenario(options: GenerateOptions): Scenario {
  const rand = createRng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const chance = (p: number) => rand() < p;
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));

  const hashtags = options.hashtags ?? ['Escale', 'LacAnnecy', 'montagne'];
  const handles = (options.handles ?? ['escale_annecy']).map((h) => h.replace(/^@/, ''));
  const endMs = options.end
    ? new Date(options.end).getTime()
    : Math.floor(Date.now() / 60_000) * 60_000;
  const startMs = options.start ? new Date(options.start).getTime() : endMs - 6 * 86_400_000;
  if (!(startMs <= endMs)) throw new Error('generateScenario: start must be before end');
  const frenchShare = options.frenchShare ?? 0.6;
  const mix = { retweet: 0.2, reply: 0.1, quote: 0.1, ...options.mix };

  const places: ScenarioPlace[] = PLACES.map((p) => ({
    id: Array.from({ length: 16 }, () => '0123456789abcdef'[int(0, 15)]).join(''),
    ...p,
  }));

  /* users */
  const users: ScenarioUser[] = [];
  const langOf = new Map<string, Lang>();
  const taken = new Set<string>();
  let userSeq = 0;
  const userId = (createdMs: number) => snowflake(createdMs, 3, userSeq++);
  for (const handle of handles) {
    if (!/^[A-Za-z0-9_]{1,15}$/.test(handle))
      throw new Error(`generateScenario: bad handle ${handle}`);
    const created = startMs - int(1000, 4000) * 86_400_000;
    const user: ScenarioUser = {
      id: userId(created),
      username: handle,
      name: handle
        .split('_')
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join(' '),
      created_at: new Date(created).toISOString(),
      description: 'Compte officiel · Official account',
      location: 'Annecy, France',
      verified: true,
      public_metrics: {
        followers_count: int(5_000, 80_000),
        following_count: int(100, 900),
        tweet_count: int(2_000, 9_000),
        listed_count: int(50, 400),
      },
    };
    users.push(user);
    taken.add(handle.toLowerCase());
    langOf.set(user.id, 'fr');
  }
  const peopleCount = options.users ?? 50;
  for (let i = 0; i < peopleCount; i++) {
    const lang: Lang = chance(frenchShare) ? 'fr' : 'en';
    const first = pick(lang === 'fr' ? FIRST_FR : FIRST_EN);
    const last = pick(LAST);
    const ascii = (s: string) =>
      s
        .normalize('NFD')
        .replace(/[^A-Za-z]/g, '')
        .toLowerCase();
    let username = '';
    for (let attempt = 0; !username || taken.has(username.toLowerCase()); attempt++) {
      const base =
        attempt % 2 === 0 ? `${ascii(first)}_${ascii(last)}` : `${ascii(first)}${ascii(last)}`;
      username = (base.slice(0, 11) + (attempt > 1 ? String(int(1, 999)) : '')).slice(0, 15);
    }
    taken.add(username.toLowerCase());
    const influencer = chance(0.05);
    const created = startMs - int(30, 4000) * 86_400_000;
    const user: ScenarioUser = {
      id: userId(created),
      username,
      name: `${first} ${last}`,
      created_at: new Date(created).toISOString(),
      description:
        lang === 'fr' ? 'Voyages, montagne et bonne cuisine' : 'Travel, mountains and good food',
      ...(chance(0.5) ? { location: pick(CITIES) } : {}),
      ...(chance(0.15) ? { accepts_dms: false } : {}),
      public_metrics: {
        followers_count: influencer ? int(10_000, 250_000) : Math.floor(Math.exp(rand() * 8)),
        following_count: int(20, 2_000),
        tweet_count: int(50, 20_000),
        listed_count: int(0, influencer ? 500 : 20),
      },
    };
    users.push(user);
    langOf.set(user.id, lang);
  }
  const people = users.slice(handles.length);
  const everyone = users;
  const userById = new Map(users.map((u) => [u.id, u]));

  /* posts */
  const count = options.posts ?? 500;
  const times = Array.from(
    { length: count },
    () => startMs + Math.floor(rand() * (endMs - startMs + 1)),
  ).sort((a, b) => a - b);
  const posts: ScenarioPost[] = [];
  const originals: ScenarioPost[] = [];
  let lastId = 0n;
  const tagText = () => {
    const n = chance(0.8) ? int(1, Math.min(3, hashtags.length)) : 0;
    const chosen = new Set<string>();
    while (chosen.size < n) chosen.add(pick(hashtags));
    return [...chosen].map((t) => `#${t}`).join(' ');
  };
  const officials = new Set(users.slice(0, handles.length).map((u) => u.id));
  const officialOriginals: ScenarioPost[] = [];
  const nonRetweets: ScenarioPost[] = [];
  const personOtherThan = (id: string): ScenarioUser | undefined => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const u = pick(people.length ? people : everyone);
      if (u.id !== id) return u;
    }
    return undefined;
  };
  for (let i = 0; i < count; i++) {
    const created = times[i];
    let id = BigInt(snowflake(created, 0, i & 0xfff));
    if (id <= lastId) id = lastId + 1n;
    lastId = id;
    const base = { id: id.toString(), created_at: new Date(created).toISOString() };
    const roll = rand();
    let kind: 'original' | 'retweet' | 'reply' | 'quote' =
      originals.length === 0
        ? 'original'
        : roll < mix.retweet
          ? 'retweet'
          : roll < mix.retweet + mix.reply
            ? 'reply'
            : roll < mix.retweet + mix.reply + mix.quote
              ? 'quote'
              : 'original';
    // Official posts get more than their share of retweets, replies and quotes.
    const target =
      kind === 'original'
        ? undefined
        : kind === 'reply'
          ? pick(nonRetweets.slice(-200))
          : officialOriginals.length && chance(0.4)
            ? pick(officialOriginals)
            : pick(originals);
    const author = target
      ? personOtherThan(target.author_id)
      : chance(0.1) && handles.length
        ? pick(users.slice(0, handles.length))
        : pick(people.length ? people : everyone);
    if (!author) kind = 'original';
    const writer = author ?? pick(everyone);
    const lang = langOf.get(writer.id)!;
    const targetAuthor = target ? userById.get(target.author_id)! : undefined;
    let post: ScenarioPost;
    if (kind === 'retweet' && target && targetAuthor) {
      post = {
        ...base,
        author_id: writer.id,
        text: retweetText(targetAuthor.username, target.text),
        lang: target.lang,
        referenced_tweets: [{ type: 'retweeted', id: target.id }],
        ...(target.possibly_sensitive ? { possibly_sensitive: true } : {}),
      };
    } else if (kind === 'reply' && target && targetAuthor) {
      post = {
        ...base,
        author_id: writer.id,
        text: `@${targetAuthor.username} ${pick(REPLIES[lang])}`,
        lang,
        referenced_tweets: [{ type: 'replied_to', id: target.id }],
        in_reply_to_user_id: targetAuthor.id,
        conversation_id: target.conversation_id ?? target.id,
      };
    } else if (kind === 'quote' && target) {
      const short = Array.from({ length: 10 }, () => pick([...SHORT_URL_CHARS])).join('');
      const tags = tagText();
      post = {
        ...base,
        author_id: writer.id,
        text: `${pick(QUOTES[lang])}${tags ? ' ' + tags : ''} https://t.co/${short}`,
        lang,
        referenced_tweets: [{ type: 'quoted', id: target.id }],
      };
    } else {
      const mood: Mood = chance(0.6) ? 'positive' : chance(0.6) ? 'neutral' : 'negative';
      const place = pick(places);
      let text = pick(SENTENCES[lang][mood])
        .replace('{a}', pick(ACTIVITIES[lang]))
        .replace('{p}', place.name!);
      const mentionable = handles.filter((h) => h !== writer.username);
      if (mentionable.length && chance(0.35)) text += ` @${pick(mentionable)}`;
      const tags = tagText();
      if (tags) text += ` ${tags}`;
      post = {
        ...base,
        author_id: writer.id,
        text,
        lang,
        ...(chance(0.15) ? { geo: { place_id: place.id } } : {}),
        ...(chance(0.02) ? { possibly_sensitive: true } : {}),
      };
      originals.push(post);
      if (officials.has(writer.id)) officialOriginals.push(post);
    }
    post.conversation_id ??= post.id;
    posts.push(post);
    if (!post.referenced_tweets?.some((r) => r.type === 'retweeted')) nonRetweets.push(post);
  }

  /* engagement: counts consistent with the posts above, plus people outside the scenario */
  const refCount = new Map<string, { retweeted: number; quoted: number; replied_to: number }>();
  for (const p of posts)
    for (const r of p.referenced_tweets ?? []) {
      const c = refCount.get(r.id) ?? { retweeted: 0, quoted: 0, replied_to: 0 };
      c[r.type]++;
      refCount.set(r.id, c);
    }
  for (const p of posts) {
    if (p.referenced_tweets?.some((r) => r.type === 'retweeted')) continue;
    const c = refCount.get(p.id) ?? { retweeted: 0, quoted: 0, replied_to: 0 };
    const author = userById.get(p.author_id)!;
    const reach = Math.log10(10 + author.public_metrics.followers_count);
    const likers = new Set<string>();
    const wanted = Math.min(people.length, Math.floor(rand() * reach * 3));
    for (let k = 0; k < wanted * 2 && likers.size < wanted; k++) {
      const u = pick(people);
      if (u.id !== p.author_id) likers.add(u.id);
    }
    if (likers.size) p.liked_by = [...likers];
    const likeCount = likers.size + Math.floor(rand() * reach * 4);
    const retweetCount = c.retweeted + Math.floor(rand() * reach);
    p.public_metrics = {
      retweet_count: retweetCount,
      reply_count: c.replied_to + (chance(0.2) ? int(0, 2) : 0),
      like_count: likeCount,
      quote_count: c.quoted + (chance(0.1) ? 1 : 0),
      bookmark_count: Math.floor(likeCount / int(5, 15)),
      impression_count: Math.floor((likeCount + retweetCount + 1) * int(20, 60) + reach * 50),
    };
  }

  return {
    version: 1,
    seed: options.seed,
    ...(handles.length ? { owner: handles[0] } : {}),
    users: everyone,
    places,
    posts,
  };
}
