import { DateTime, type Duration } from 'luxon';
import { badInput } from '../../../common/errors/app-error.js';
import { InvalidDurationError, parseIsoDuration } from '../../../common/scalars/duration.js';

/** A signed ISO 8601 duration ("-P7D", "PT2H"), or BAD_USER_INPUT. */
export function parseSignedDuration(text: string): Duration {
  try {
    return parseIsoDuration(text);
  } catch (error) {
    if (error instanceof InvalidDurationError) throw badInput(error.message, { value: text });
    throw error;
  }
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

function zoneChecked(timeZone: string): string {
  if (!DateTime.now().setZone(timeZone).isValid) {
    throw badInput(`${JSON.stringify(timeZone)} is not an IANA time zone`, { value: timeZone });
  }
  return timeZone;
}

/**
 * The instant of a wall-clock time on a local date, with Temporal's "compatible" rule: a time
 * that happens twice (autumn fall-back) is the earlier instant, and a time that does not exist
 * (spring-forward gap) moves forward by the gap (02:30 → 03:30). Luxon alone picks either side of
 * an overlap depending on the zone, so both offsets around it are tried here.
 */
function atLocalTime(day: DateTime, time: LocalTime): DateTime<boolean> {
  const zone = day.zone;
  const parts = { year: day.year, month: day.month, day: day.day, ...time };
  const luxonPick = DateTime.fromObject(parts, { zone });
  const wallMs = Date.UTC(parts.year, parts.month - 1, parts.day, time.hour, time.minute);
  const offsets = new Set(
    [-1, 0, 1].map((d) => luxonPick.plus({ days: d }).offset), // minutes east of UTC
  );
  const matches = [...offsets]
    .map((offset) => DateTime.fromMillis(wallMs - offset * 60_000, { zone }))
    .filter((c) => c.hour === time.hour && c.minute === time.minute && c.hasSame(day, 'day'))
    .sort((a, b) => a.toMillis() - b.toMillis());
  return matches[0] ?? luxonPick;
}

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
  const zone = zoneChecked(args.timeZone);
  let at: DateTime<boolean> = DateTime.fromJSDate(args.anchorAt, { zone }).plus(
    parseSignedDuration(args.offset),
  );
  if (args.localSendTime) {
    at = atLocalTime(at, parseLocalTime(args.localSendTime, 'localSendTime'));
  }
  if (args.quietHours) {
    const start = parseLocalTime(args.quietHours.start, 'quiet hours start');
    const end = parseLocalTime(args.quietHours.end, 'quiet hours end');
    const minute = (t: LocalTime) => t.hour * 60 + t.minute;
    const now = at.hour * 60 + at.minute + (at.second * 1000 + at.millisecond) / 60_000;
    const s = minute(start);
    const e = minute(end);
    if (s < e) {
      if (now >= s && now < e) at = atLocalTime(at, end);
    } else if (s > e) {
      if (now >= s) at = atLocalTime(at.startOf('day').plus({ days: 1 }), end);
      else if (now < e) at = atLocalTime(at, end);
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
