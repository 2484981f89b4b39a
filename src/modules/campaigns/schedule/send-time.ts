import {
  DateTime,
  type Duration,
  IANAZone,
  Zone,
  type ZoneOffsetFormat,
  type ZoneOffsetOptions,
} from 'luxon';
import { badInput } from '../../../common/errors/app-error.js';
import { InvalidDurationError, parseIsoDuration } from '../../../common/scalars/duration.js';

const durations = new Map<string, Duration>();

/** A signed ISO 8601 duration ("-P7D", "PT2H"), or BAD_USER_INPUT. */
export function parseSignedDuration(text: string): Duration {
  // A campaign has a few offsets and schedules them for every visitor: parse each once.
  const cached = durations.get(text);
  if (cached) return cached;
  let duration: Duration;
  try {
    duration = parseIsoDuration(text);
  } catch (error) {
    if (error instanceof InvalidDurationError) throw badInput(error.message, { value: text });
    throw error;
  }
  if (durations.size >= 1_000) durations.clear();
  durations.set(text, duration);
  return duration;
}

interface LocalTime {
  hour: number;
  minute: number;
}

/** "HH:MM" (24 h), or BAD_USER_INPUT naming `what`. */
export function parseLocalTime(text: string, what = 'local time'): LocalTime {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw badInput(`${what} must be a 24-hour time such as "09:30"`, { value: text });
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

const DAY_MS = 86_400_000;

/**
 * An IANA zone whose offsets are remembered per UTC day. Luxon asks Intl for every offset it needs
 * (formatToParts, tens of microseconds), several per calendar addition; scheduling a campaign for
 * 100,000s of visitors asks about the same few hundred days over and over. A day holds one offset,
 * or two and the instant of the change between them (found by bisection, once).
 */
class DayCachedZone extends Zone {
  private readonly days = new Map<number, number | readonly [number, number, number]>();

  constructor(private readonly inner: IANAZone) {
    super();
  }

  override get type() {
    return this.inner.type;
  }
  override get name() {
    return this.inner.name;
  }
  override get isUniversal() {
    return false;
  }
  override get isValid() {
    return this.inner.isValid;
  }
  override offsetName(ts: number, opts: ZoneOffsetOptions) {
    return this.inner.offsetName(ts, opts);
  }
  override formatOffset(ts: number, format: ZoneOffsetFormat) {
    return this.inner.formatOffset(ts, format);
  }
  override equals(other: Zone) {
    return other.type === this.type && other.name === this.name;
  }

  override offset(ts: number): number {
    const day = Math.floor(ts / DAY_MS);
    let entry = this.days.get(day);
    if (entry === undefined) {
      entry = this.dayEntry(day);
      if (this.days.size >= 100_000) this.days.clear();
      this.days.set(day, entry);
    }
    if (typeof entry === 'number') return entry;
    return ts < entry[1] ? entry[0] : entry[2];
  }

  private dayEntry(day: number): number | readonly [number, number, number] {
    let lo = day * DAY_MS;
    let hi = lo + DAY_MS - 1;
    const first = this.inner.offset(lo);
    const last = this.inner.offset(hi);
    if (first === last) return first;
    // No zone changes its offset twice in one day; find the first millisecond of the new one.
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.inner.offset(mid) === first) lo = mid;
      else hi = mid;
    }
    return [first, hi, last] as const;
  }
}

const zones = new Map<string, Zone>();

function zoneOf(timeZone: string): Zone {
  let zone = zones.get(timeZone);
  if (!zone) {
    const iana = IANAZone.create(timeZone);
    if (!iana.isValid) {
      throw badInput(`${JSON.stringify(timeZone)} is not an IANA time zone`, { value: timeZone });
    }
    zone = new DayCachedZone(iana);
    if (zones.size >= 1_000) zones.clear();
    zones.set(timeZone, zone);
  }
  return zone;
}

interface LocalDay {
  year: number;
  month: number;
  day: number;
}

/**
 * The instant of a wall-clock time on a local date, with Temporal's "compatible" rule: a time
 * that happens twice (autumn fall-back) is the earlier instant, and a time that does not exist
 * (spring-forward gap) moves forward by the gap (02:30 → 03:30). Luxon alone picks either side of
 * an overlap depending on the zone, so the offsets a day before and after are both tried here
 * (zone offsets are the costly part of this module: four lookups at most).
 */
function atLocalTime(zone: Zone, day: LocalDay, time: LocalTime): DateTime {
  const wallMs = Date.UTC(day.year, day.month - 1, day.day, time.hour, time.minute);
  const before = zone.offset(wallMs - DAY_MS); // minutes east of UTC
  const after = zone.offset(wallMs + DAY_MS);
  let best: number | undefined;
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = wallMs - offset * 60_000;
    if (zone.offset(instant) === offset && (best === undefined || instant < best)) best = instant;
  }
  // In a gap neither offset fits: the offset before the change moves the time forward by the gap.
  return DateTime.fromMillis(best ?? wallMs - before * 60_000, { zone });
}

const nextDay = (d: LocalDay): LocalDay => {
  const n = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: n.getUTCFullYear(), month: n.getUTCMonth() + 1, day: n.getUTCDate() };
};

export interface QuietHours {
  /** "HH:MM" local: quiet from this time... */
  start: string;
  /** ...until this one, wrapping past midnight when it is earlier ("21:00"–"08:00"). */
  end: string;
}

/**
 * When a step is due: the anchor plus the offset (days and larger units are calendar units in
 * `timeZone`, so "-P7D" keeps the wall-clock time across a DST change; hours are exact); then
 * `localSendTime` moves it to that wall-clock time on the same local day; then quiet hours push
 * it to their end.
 */
export function computeScheduledAt(args: {
  anchorAt: Date;
  offset: string;
  localSendTime?: string | null;
  timeZone: string;
  quietHours?: QuietHours | null;
}): Date {
  const zone = zoneOf(args.timeZone);
  let at: DateTime = DateTime.fromJSDate(args.anchorAt, { zone }).plus(
    parseSignedDuration(args.offset),
  );
  if (args.localSendTime) {
    at = atLocalTime(zone, at, parseLocalTime(args.localSendTime, 'localSendTime'));
  }
  if (args.quietHours) {
    const start = parseLocalTime(args.quietHours.start, 'quiet hours start');
    const end = parseLocalTime(args.quietHours.end, 'quiet hours end');
    const minute = (t: LocalTime) => t.hour * 60 + t.minute;
    const now = at.hour * 60 + at.minute + (at.second * 1000 + at.millisecond) / 60_000;
    const s = minute(start);
    const e = minute(end);
    if (s < e) {
      if (now >= s && now < e) at = atLocalTime(zone, at, end);
    } else if (s > e) {
      if (now >= s) at = atLocalTime(zone, nextDay(at), end);
      else if (now < e) at = atLocalTime(zone, at, end);
    }
    // start === end: an empty window, nothing is quiet.
  }
  return at.toJSDate();
}

/** A step whose time passed more than `graceMs` ago is not sent at all (`too-late`). */
export function isTooLate(scheduledAt: Date, now: Date, graceMs: number): boolean {
  return now.getTime() - scheduledAt.getTime() > graceMs;
}

/** When to send a step that is not too late: its time, or now when that time has just passed. */
export function effectiveSendAt(scheduledAt: Date, now: Date): Date {
  return scheduledAt.getTime() < now.getTime() ? new Date(now.getTime()) : scheduledAt;
}
