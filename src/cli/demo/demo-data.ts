import { DateTime } from 'luxon';

/**
 * The demo's made-up data, deterministic by seed: the eleven competing places of Rennes' 2016
 * Social Derby (real streets and squares, synthetic X handles), visitors and their stays. The
 * posts are made by the fake X API's derby generator (test/support/fake-x/derby.ts), which also
 * decides the derby's winners.
 */
export const DEMO_DESTINATION = 'Rennes';
export const DEMO_TIME_ZONE = 'Europe/Paris';
export const DEMO_LOCALE = 'fr';
export const DEMO_ADMIN_EMAIL = 'rennes-admin@escale.local';
export const DEMO_HASHTAG = 'RennesSocialDerby';
export const DEMO_SEED = 2016;
export const DEMO_STAY_SOURCE = 'demo';
/** Posts of the month, and people posting them besides the streets. */
export const DEMO_POSTS = 3000;
export const DEMO_PEOPLE = 360;

export interface DemoPlace {
  name: string;
  kind: 'STREET' | 'SQUARE';
  handle: string;
  latitude: number;
  longitude: number;
  interests: string[];
}

export const DEMO_PLACES: DemoPlace[] = [
  {
    name: 'rue du Chapitre',
    kind: 'STREET',
    handle: 'rue_chapitre',
    latitude: 48.1108,
    longitude: -1.68,
    interests: ['heritage', 'architecture'],
  },
  {
    name: 'rue de Penhoët',
    kind: 'STREET',
    handle: 'rue_penhoet',
    latitude: 48.1125,
    longitude: -1.6795,
    interests: ['gastronomy', 'heritage'],
  },
  {
    name: 'rue Vasselot',
    kind: 'STREET',
    handle: 'rue_vasselot',
    latitude: 48.1076,
    longitude: -1.6775,
    interests: ['shopping-markets', 'gastronomy'],
  },
  {
    name: 'place des Lices',
    kind: 'SQUARE',
    handle: 'place_lices',
    latitude: 48.1128,
    longitude: -1.6836,
    interests: ['shopping-markets', 'gastronomy'],
  },
  {
    name: 'rue Saint-Georges',
    kind: 'STREET',
    handle: 'rue_stgeorges',
    latitude: 48.1114,
    longitude: -1.676,
    interests: ['gastronomy', 'architecture'],
  },
  {
    name: 'rue Saint-Michel',
    kind: 'STREET',
    handle: 'rue_stmichel',
    latitude: 48.1135,
    longitude: -1.681,
    interests: ['nightlife'],
  },
  {
    name: 'place Sainte-Anne',
    kind: 'SQUARE',
    handle: 'place_steanne',
    latitude: 48.1146,
    longitude: -1.6802,
    interests: ['nightlife', 'heritage'],
  },
  {
    name: 'rue Le Bastard',
    kind: 'STREET',
    handle: 'rue_lebastard',
    latitude: 48.1118,
    longitude: -1.679,
    interests: ['shopping-markets'],
  },
  {
    name: 'rue d’Antrain',
    kind: 'STREET',
    handle: 'rue_dantrain',
    latitude: 48.117,
    longitude: -1.677,
    interests: ['heritage', 'gastronomy'],
  },
  {
    name: 'place du Champ-Jacquet',
    kind: 'SQUARE',
    handle: 'champ_jacquet',
    latitude: 48.113,
    longitude: -1.6818,
    interests: ['architecture', 'heritage'],
  },
  {
    name: 'rue Saint-Malo',
    kind: 'STREET',
    handle: 'rue_saint_malo',
    latitude: 48.116,
    longitude: -1.684,
    interests: ['music-festivals', 'nightlife'],
  },
];

/** The derby's month: the last April that is over, in the destination's time zone. */
export function demoPeriod(now: Date): { from: Date; to: Date } {
  const local = DateTime.fromJSDate(now, { zone: DEMO_TIME_ZONE });
  const year =
    local >= local.set({ month: 5, day: 1 }).startOf('day') ? local.year : local.year - 1;
  const from = DateTime.fromObject({ year, month: 4, day: 1 }, { zone: DEMO_TIME_ZONE });
  return { from: from.toJSDate(), to: from.plus({ months: 1 }).toJSDate() };
}

/** Posts of the last days, for ambassador scores (they look at the last 90 days, not April). */
export const DEMO_RECENT_POSTS = 500;

/** The options of the fake X API's derby generator for this demo (the test makes the same). */
export function demoDerbyOptions(period: { from: Date; to: Date }, now = new Date()) {
  return {
    recent: {
      start: new Date(now.getTime() - 6 * 86_400_000),
      end: new Date(now.getTime() - 10 * 60_000),
      posts: DEMO_RECENT_POSTS,
    },
    seed: DEMO_SEED,
    places: DEMO_PLACES.map((p) => ({ handle: p.handle, name: p.name })),
    start: period.from,
    end: period.to,
    posts: DEMO_POSTS,
    people: DEMO_PEOPLE,
    hashtag: DEMO_HASHTAG,
  };
}

/** mulberry32: a small seeded PRNG, so a second run makes the same visitors. */
export function seededRandom(seed: number): () => number {
  let h = seed >>> 0;
  return () => {
    h = (h + 0x6d2b79f5) >>> 0;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoPerson {
  username: string;
  firstName: string;
  lastName: string;
  lang: 'fr' | 'en';
}

export interface DemoVisitor {
  firstName: string;
  lastName: string;
  email: string;
  locale: string;
  countryCode: string;
  timeZone: string;
  twitterHandle?: string;
  consentEmailMarketing?: boolean;
  declaredInterests: string[];
}

const FR = {
  first: [
    'Sophie',
    'Nicolas',
    'Julie',
    'Thomas',
    'Claire',
    'Antoine',
    'Pauline',
    'Maxime',
    'Lucie',
    'Guillaume',
    'Marion',
    'Kevin',
  ],
  last: [
    'Petit',
    'Durand',
    'Leroy',
    'Simon',
    'Michel',
    'Garcia',
    'David',
    'Bertrand',
    'Robin',
    'Gauthier',
    'Le Bihan',
    'Quéré',
  ],
  countries: [
    ['FR', 'Europe/Paris'],
    ['FR', 'Europe/Paris'],
    ['FR', 'Europe/Paris'],
    ['FR', 'Europe/Paris'],
    ['BE', 'Europe/Brussels'],
    ['CH', 'Europe/Zurich'],
    ['CA', 'America/Toronto'],
  ],
};
const EN = {
  first: [
    'James',
    'Charlotte',
    'William',
    'Sophia',
    'Thomas',
    'Emily',
    'George',
    'Lily',
    'Samuel',
    'Chloe',
    'Daniel',
    'Poppy',
  ],
  last: [
    'Johnson',
    'Williams',
    'Jones',
    'Davies',
    'Wilson',
    'Thomas',
    'Roberts',
    'Robinson',
    'Thompson',
    'White',
    'Green',
    'Hall',
  ],
  countries: [
    ['GB', 'Europe/London'],
    ['GB', 'Europe/London'],
    ['GB', 'Europe/London'],
    ['IE', 'Europe/Dublin'],
    ['US', 'America/New_York'],
    ['CA', 'America/Toronto'],
  ],
};
const INTERESTS = [
  'gastronomy',
  'wine-drinks',
  'heritage',
  'museums-arts',
  'architecture',
  'nightlife',
  'music-festivals',
  'shopping-markets',
  'cycling',
  'family',
  'events',
  'nature-outdoors',
];

const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();

/**
 * `count` visitors: the first ones are people who post on X in the derby (their handle is on the
 * profile, so their posts land on a known visitor), the others only book stays. Most consent to
 * e-mail marketing; everyone declares one to three interests.
 */
export function demoVisitors(
  people: DemoPerson[],
  count: number,
  withHandles: number,
): DemoVisitor[] {
  const rand = seededRandom(DEMO_SEED);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const visitors: DemoVisitor[] = [];
  for (let i = 0; i < count; i++) {
    const person = i < withHandles ? people[i] : undefined;
    const lang = person?.lang ?? (rand() < 0.6 ? 'fr' : 'en');
    const names = lang === 'fr' ? FR : EN;
    const firstName = person?.firstName ?? pick(names.first);
    const lastName = person?.lastName ?? pick(names.last);
    const [countryCode, timeZone] = pick(names.countries);
    const interests = new Set<string>();
    const wanted = 1 + Math.floor(rand() * 3);
    while (interests.size < wanted) interests.add(pick(INTERESTS));
    const consent = rand();
    visitors.push({
      firstName,
      lastName,
      email: `${ascii(firstName)}.${ascii(lastName)}.${i + 1}@example.org`,
      locale: lang === 'fr' ? 'fr' : countryCode === 'US' ? 'en-US' : 'en-GB',
      countryCode,
      timeZone,
      ...(person ? { twitterHandle: person.username } : {}),
      ...(consent < 0.85
        ? { consentEmailMarketing: true }
        : consent < 0.95
          ? { consentEmailMarketing: false }
          : {}),
      declaredInterests: [...interests],
    });
  }
  return visitors;
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The importVisitors CSV of these visitors (lists separated by '|'). */
export function visitorsCsv(visitors: DemoVisitor[]): string {
  const header =
    'firstName,lastName,email,locale,countryCode,timeZone,tags,twitterHandle,consentEmailMarketing,declaredInterests';
  const lines = visitors.map((v) =>
    [
      v.firstName,
      v.lastName,
      v.email,
      v.locale,
      v.countryCode,
      v.timeZone,
      'demo',
      v.twitterHandle ?? '',
      v.consentEmailMarketing === undefined ? '' : String(v.consentEmailMarketing),
      v.declaredInterests.join('|'),
    ]
      .map(csvCell)
      .join(','),
  );
  return [header, ...lines].join('\n') + '\n';
}

/** Which moment of the journey a stay is placed at, relative to now. */
export type StayMoment =
  | 'before-due' // arrives in 7 days: the "before" e-mail is due in a minute
  | 'during-due' // arrived a day ago: the "during" e-mail is due in a minute
  | 'after-due' // left two days ago: the "after" e-mail is due in a minute
  | 'upcoming' // arrives in 8 to 60 days
  | 'current' // in Rennes now
  | 'past'; // left 3 to 60 days ago

export interface DemoStay {
  visitorEmail: string;
  moment: StayMoment;
  externalRef: string;
  partySize: number;
  /** Days and hours of the stay, placed by `stayDates` when it is sent (due times are relative to then). */
  nights: number;
  offsetDays: number;
}

const DAY = 86_400_000;
/** How long after the stay is written its step falls due: time for the rest of the demo to run. */
export const DUE_DELAY_MS = 45_000;

/** Stays for most visitors: 25 of each "due now" moment, the rest spread before, during, after. */
export function demoStays(visitors: DemoVisitor[]): DemoStay[] {
  const rand = seededRandom(DEMO_SEED + 1);
  const stays: DemoStay[] = [];
  const moments: StayMoment[] = ['before-due', 'during-due', 'after-due'];
  visitors.forEach((v, i) => {
    if (i % 6 === 5) return; // some visitors have no stay
    const moment: StayMoment =
      i < 75 ? moments[i % 3] : (['upcoming', 'current', 'past'] as const)[Math.floor(rand() * 3)];
    stays.push({
      visitorEmail: v.email,
      moment,
      externalRef: `demo-${i + 1}`,
      partySize: 1 + Math.floor(rand() * 4),
      nights: 2 + Math.floor(rand() * 5),
      offsetDays: 3 + Math.floor(rand() * 55),
    });
  });
  return stays;
}

/** Arrival and departure of a stay written at `now`. */
export function stayDates(stay: DemoStay, now: number): { arrivalAt: Date; departureAt: Date } {
  const span = stay.nights * DAY;
  let arrival: number;
  switch (stay.moment) {
    case 'before-due':
      arrival = now + 7 * DAY + DUE_DELAY_MS;
      break;
    case 'during-due':
      arrival = now - DAY + DUE_DELAY_MS;
      break;
    case 'after-due':
      arrival = now - 2 * DAY + DUE_DELAY_MS - span;
      break;
    case 'upcoming':
      arrival = now + (8 + stay.offsetDays) * DAY;
      break;
    case 'current':
      arrival = now - Math.min(stay.nights - 1, 1 + (stay.offsetDays % 3)) * DAY - 3 * 3600_000;
      break;
    case 'past':
      arrival = now - stay.offsetDays * DAY - span - DAY;
      break;
  }
  return { arrivalAt: new Date(arrival), departureAt: new Date(arrival + span) };
}
