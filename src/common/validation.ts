/** Small validators shared by configuration and input checks. */
import { badInput } from './errors/app-error.js';

const ZONES = new Map(
  [...Intl.supportedValuesOf('timeZone'), 'UTC'].map((zone) => [zone.toLowerCase(), zone]),
);

/**
 * An IANA zone name with its usual spelling ("europe/paris" → "Europe/Paris"), or undefined.
 * Links such as America/Montreal are kept as named, not swapped for their target.
 */
export function canonicalTimeZone(tz: string): string | undefined {
  // IANA region names only: not "CET" (which ICU maps to a city) nor "+02:00".
  if (tz.toUpperCase() !== 'UTC' && !tz.includes('/')) return undefined;
  const known = ZONES.get(tz.toLowerCase());
  if (known) return known;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

export const isTimeZone = (tz: string) => canonicalTimeZone(tz) !== undefined;

/** A uuid as the database stores ids; anything else cannot name a row. */
export const isUuid = (id: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** Refuses an id argument that cannot be an id (BAD_USER_INPUT), before it reaches a query. */
export function assertId(id: string, field = 'id'): string {
  if (!isUuid(id)) throw badInput(`${field} is not a valid id`, { field });
  return id;
}

/** A well-formed BCP 47 tag; returns its canonical spelling ("en-gb" → "en-GB"). */
export function canonicalLocale(tag: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical;
  } catch {
    return undefined;
  }
}

export const isHourMinute = (v: string) => /^([01]\d|2[0-3]):[0-5]\d$/.test(v);

/** X usernames: 1–15 letters, digits or underscores; stored without '@'. */
export function normalizeHandle(handle: string): string | undefined {
  const h = handle.trim().replace(/^@/, '');
  return /^[A-Za-z0-9_]{1,15}$/.test(h) ? h : undefined;
}

/** Hashtags: letters (any script), digits, underscores; stored without '#'. */
export function normalizeHashtag(tag: string): string | undefined {
  const t = tag.trim().replace(/^#/, '');
  return /^[\p{L}\p{M}\p{N}_]{1,100}$/u.test(t) && !/^\d+$/.test(t) ? t : undefined;
}
