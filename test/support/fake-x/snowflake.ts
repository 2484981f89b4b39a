/**
 * Snowflake-like ids, as X makes them: `(ms since 2010-11-04T01:42:54.657Z) << 22 | worker << 12 |
 * sequence`, written as a decimal string. Ids therefore grow with time, and the time of a post can
 * be read back from its id (twitter-api-v2 does it to turn `start_time` into `since_id`).
 */
export const TWITTER_EPOCH = 1288834974657n;

export function snowflake(ms: number, worker = 0, sequence = 0): string {
  const t = BigInt(Math.floor(ms)) - TWITTER_EPOCH;
  if (t < 0n) throw new Error(`snowflake: ${new Date(ms).toISOString()} is before the X epoch`);
  return ((t << 22n) | (BigInt(worker & 0x3ff) << 12n) | BigInt(sequence & 0xfff)).toString();
}

export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + TWITTER_EPOCH);
}

/** Numeric comparison of decimal id strings (no leading zeros). */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const ID_PATTERN = /^[0-9]{1,19}$/;

/** Deterministic PRNG (mulberry32) seeded by a number or a string. */
export function createRng(seed: number | string): () => number {
  let h: number;
  if (typeof seed === 'number') h = seed >>> 0;
  else {
    h = 2166136261;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
    h >>>= 0;
  }
  return () => {
    h = (h + 0x6d2b79f5) >>> 0;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
