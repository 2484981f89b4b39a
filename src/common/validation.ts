/** Small validators shared by configuration and input checks. */

export function isTimeZone(tz: string): boolean {
  if (tz !== 'UTC' && !tz.includes('/')) return false; // IANA names only, not "CET" or "+02:00"
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
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
