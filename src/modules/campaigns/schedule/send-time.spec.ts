import { DateTime } from 'luxon';
import { AppError, ErrorCode } from '../../../common/errors/app-error.js';
import {
  computeScheduledAt,
  effectiveSendAt,
  isTooLate,
  parseSignedDuration,
} from './send-time.js';

const PARIS = 'Europe/Paris';
const SYDNEY = 'Australia/Sydney';
const SANTIAGO = 'America/Santiago';

const utc = (iso: string) => new Date(iso);
const at = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toJSDate();

function badInputOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(ErrorCode.BAD_USER_INPUT);
    return error as AppError;
  }
  throw new Error('no error thrown');
}

describe('parseSignedDuration', () => {
  it('reads signed durations', () => {
    expect(parseSignedDuration('-P7D').as('days')).toBe(-7);
    expect(parseSignedDuration('PT2H30M').as('minutes')).toBe(150);
    expect(parseSignedDuration('PT5S').as('seconds')).toBe(5);
  });

  it('refuses anything else with BAD_USER_INPUT naming the value', () => {
    for (const text of ['soon', 'P', 'P1DT-2H', '-7D']) {
      expect(badInputOf(() => parseSignedDuration(text)).details).toEqual({ value: text });
    }
  });
});

describe('computeScheduledAt', () => {
  it('adds the offset to the anchor', () => {
    const anchorAt = utc('2026-07-10T14:00:00Z');
    expect(computeScheduledAt({ anchorAt, offset: '-P7D', timeZone: PARIS })).toEqual(
      utc('2026-07-03T14:00:00Z'),
    );
    expect(computeScheduledAt({ anchorAt, offset: 'PT2H', timeZone: PARIS })).toEqual(
      utc('2026-07-10T16:00:00Z'),
    );
    expect(computeScheduledAt({ anchorAt, offset: 'PT5S', timeZone: PARIS })).toEqual(
      utc('2026-07-10T14:00:05Z'),
    );
  });

  it('counts days as calendar days in the zone (wall time kept across DST) and hours exactly', () => {
    // Arrival Thursday 2 April 10:00 in Paris (summer time); a week before is still winter time.
    expect(
      computeScheduledAt({
        anchorAt: at('2026-04-02T10:00', PARIS),
        offset: '-P7D',
        timeZone: PARIS,
      }),
    ).toEqual(at('2026-03-26T10:00', PARIS));
    expect(at('2026-03-26T10:00', PARIS)).toEqual(utc('2026-03-26T09:00:00Z'));
    // Two hours after 01:30 on the spring-forward night is 04:30 on the wall clock.
    expect(
      computeScheduledAt({
        anchorAt: at('2026-03-29T01:30', PARIS),
        offset: 'PT2H',
        timeZone: PARIS,
      }),
    ).toEqual(utc('2026-03-29T02:30:00Z'));
    // Southern hemisphere: Sydney springs forward on 4 October 2026.
    expect(
      computeScheduledAt({
        anchorAt: at('2026-10-04T10:00', SYDNEY),
        offset: '-P1D',
        timeZone: SYDNEY,
      }),
    ).toEqual(utc('2026-10-03T00:00:00Z'));
  });

  it('adds calendar days exactly as Luxon does on its own, every 5 hours over a year', () => {
    // The zone offsets are cached per day: this compares them with Luxon's IANA zone everywhere,
    // including the change days of zones with 30-minute (Lord Howe) and midnight (Santiago) shifts.
    for (const zone of [PARIS, SYDNEY, SANTIAGO, 'Australia/Lord_Howe', 'America/New_York']) {
      const start = Date.UTC(2026, 0, 1, 0, 17);
      for (let ms = start; ms < start + 366 * 86_400_000; ms += 5 * 3_600_000 + 60_000) {
        const anchorAt = new Date(ms);
        for (const [offset, units] of [
          ['-P1D', { days: -1 }],
          ['P1M', { months: 1 }],
        ] as const) {
          const expected = DateTime.fromJSDate(anchorAt, { zone }).plus(units).toJSDate();
          const actual = computeScheduledAt({ anchorAt, offset, timeZone: zone });
          if (actual.getTime() !== expected.getTime()) {
            throw new Error(`${zone} ${anchorAt.toISOString()} ${offset}: ${actual.toISOString()}`);
          }
        }
      }
    }
  });

  it('moves to the local send time on the same local day', () => {
    // 22:30 UTC on the 10th is already 00:30 on the 11th in Paris.
    expect(
      computeScheduledAt({
        anchorAt: utc('2026-07-10T22:30:00Z'),
        offset: 'PT0S',
        localSendTime: '09:00',
        timeZone: PARIS,
      }),
    ).toEqual(utc('2026-07-11T07:00:00Z'));
    // The same instant in Santiago is still the 10th.
    expect(
      computeScheduledAt({
        anchorAt: utc('2026-07-10T22:30:00Z'),
        offset: 'PT0S',
        localSendTime: '09:00',
        timeZone: SANTIAGO,
      }),
    ).toEqual(utc('2026-07-10T13:00:00Z'));
  });

  it('keeps the local send time across DST changes in both hemispheres', () => {
    for (const zone of [PARIS, SYDNEY, SANTIAGO]) {
      let day = DateTime.fromISO('2026-01-01T12:00', { zone });
      for (let i = 0; i < 366; i++, day = day.plus({ days: 1 })) {
        const sent = DateTime.fromJSDate(
          computeScheduledAt({
            anchorAt: day.toJSDate(),
            offset: '-P3D',
            localSendTime: '10:15',
            timeZone: zone,
          }),
          { zone },
        );
        expect(sent.toISODate()).toBe(day.minus({ days: 3 }).toISODate());
        expect([sent.hour, sent.minute]).toEqual([10, 15]);
      }
    }
  });

  it('moves a local send time in a spring-forward gap forward by the gap', () => {
    const paris = computeScheduledAt({
      anchorAt: at('2026-03-29T18:00', PARIS),
      offset: 'PT0S',
      localSendTime: '02:30',
      timeZone: PARIS,
    });
    expect(paris).toEqual(utc('2026-03-29T01:30:00Z')); // 03:30 summer time
    const sydney = computeScheduledAt({
      anchorAt: at('2026-10-04T18:00', SYDNEY),
      offset: 'PT0S',
      localSendTime: '02:30',
      timeZone: SYDNEY,
    });
    expect(sydney).toEqual(utc('2026-10-03T16:30:00Z')); // 03:30 AEDT
    // Santiago springs forward at midnight: 00:30 on 6 September 2026 does not exist.
    const santiago = computeScheduledAt({
      anchorAt: at('2026-09-06T18:00', SANTIAGO),
      offset: 'PT0S',
      localSendTime: '00:30',
      timeZone: SANTIAGO,
    });
    expect(santiago).toEqual(utc('2026-09-06T04:30:00Z')); // 01:30 -03
  });

  it('takes the earlier instant of a local send time that happens twice (fall-back)', () => {
    expect(
      computeScheduledAt({
        anchorAt: at('2026-10-25T18:00', PARIS),
        offset: 'PT0S',
        localSendTime: '02:30',
        timeZone: PARIS,
      }),
    ).toEqual(utc('2026-10-25T00:30:00Z')); // 02:30 +02, not 02:30 +01
    expect(
      computeScheduledAt({
        anchorAt: at('2026-04-05T18:00', SYDNEY),
        offset: 'PT0S',
        localSendTime: '02:30',
        timeZone: SYDNEY,
      }),
    ).toEqual(utc('2026-04-04T15:30:00Z')); // 02:30 +11, not 02:30 +10
    expect(
      computeScheduledAt({
        anchorAt: at('2026-04-04T12:00', SANTIAGO),
        offset: 'PT0S',
        localSendTime: '23:30',
        timeZone: SANTIAGO,
      }),
    ).toEqual(utc('2026-04-05T02:30:00Z')); // 23:30 -03, not 23:30 -04
  });

  it('pushes a time inside quiet hours to their end, also across midnight', () => {
    const quietHours = { start: '21:00', end: '08:00' };
    const push = (local: string, zone = PARIS) =>
      computeScheduledAt({
        anchorAt: at(local, zone),
        offset: 'PT0S',
        timeZone: zone,
        quietHours,
      });
    expect(push('2026-07-10T22:15')).toEqual(at('2026-07-11T08:00', PARIS));
    expect(push('2026-07-10T21:00')).toEqual(at('2026-07-11T08:00', PARIS));
    expect(push('2026-07-10T06:00')).toEqual(at('2026-07-10T08:00', PARIS));
    expect(push('2026-07-10T07:59:30')).toEqual(at('2026-07-10T08:00', PARIS));
    expect(push('2026-07-10T08:00')).toEqual(at('2026-07-10T08:00', PARIS));
    expect(push('2026-07-10T12:00')).toEqual(at('2026-07-10T12:00', PARIS));
    expect(push('2026-07-10T20:59')).toEqual(at('2026-07-10T20:59', PARIS));
    // Over the DST nights: the end is 08:00 on the local clock of the next morning.
    expect(push('2026-03-28T22:00')).toEqual(utc('2026-03-29T06:00:00Z'));
    expect(push('2026-10-24T23:00')).toEqual(utc('2026-10-25T07:00:00Z'));
    expect(push('2026-10-03T23:00', SYDNEY)).toEqual(utc('2026-10-03T21:00:00Z'));
  });

  it('handles quiet hours within a day, empty ones, and an end inside a DST gap', () => {
    const anchorAt = at('2026-07-10T13:00', PARIS);
    expect(
      computeScheduledAt({
        anchorAt,
        offset: 'PT0S',
        timeZone: PARIS,
        quietHours: { start: '12:00', end: '14:00' },
      }),
    ).toEqual(at('2026-07-10T14:00', PARIS));
    expect(
      computeScheduledAt({
        anchorAt,
        offset: 'PT0S',
        timeZone: PARIS,
        quietHours: { start: '13:00', end: '13:00' },
      }),
    ).toEqual(anchorAt);
    expect(
      computeScheduledAt({
        anchorAt: at('2026-03-29T01:30', PARIS),
        offset: 'PT0S',
        timeZone: PARIS,
        quietHours: { start: '01:00', end: '02:30' },
      }),
    ).toEqual(utc('2026-03-29T01:30:00Z')); // 03:30 summer time
  });

  it('applies quiet hours after the local send time', () => {
    expect(
      computeScheduledAt({
        anchorAt: utc('2026-07-10T12:00:00Z'),
        offset: '-P1D',
        localSendTime: '07:00',
        timeZone: PARIS,
        quietHours: { start: '21:00', end: '08:00' },
      }),
    ).toEqual(at('2026-07-09T08:00', PARIS));
  });

  it('refuses bad input with BAD_USER_INPUT', () => {
    const anchorAt = utc('2026-07-10T12:00:00Z');
    badInputOf(() => computeScheduledAt({ anchorAt, offset: 'a week', timeZone: PARIS }));
    badInputOf(() => computeScheduledAt({ anchorAt, offset: 'P1D', timeZone: 'Mars/Olympus' }));
    for (const localSendTime of ['9:00', '24:00', '12:60', '12h00']) {
      badInputOf(() =>
        computeScheduledAt({ anchorAt, offset: 'P1D', timeZone: PARIS, localSendTime }),
      );
    }
    badInputOf(() =>
      computeScheduledAt({
        anchorAt,
        offset: 'P1D',
        timeZone: PARIS,
        quietHours: { start: '21:00', end: '25:00' },
      }),
    );
  });
});

describe('late steps', () => {
  const now = utc('2026-07-10T12:00:00Z');
  const hour = 3_600_000;

  it('is too late only beyond the grace', () => {
    expect(isTooLate(utc('2026-07-10T10:59:59Z'), now, hour)).toBe(true);
    expect(isTooLate(utc('2026-07-10T11:00:00Z'), now, hour)).toBe(false);
    expect(isTooLate(utc('2026-07-10T13:00:00Z'), now, hour)).toBe(false);
    expect(isTooLate(utc('2026-07-10T11:59:59Z'), now, 0)).toBe(true);
  });

  it('sends a just-missed step now and a future one at its time', () => {
    expect(effectiveSendAt(utc('2026-07-10T11:30:00Z'), now)).toEqual(now);
    expect(effectiveSendAt(utc('2026-07-10T12:30:00Z'), now)).toEqual(utc('2026-07-10T12:30:00Z'));
  });
});
