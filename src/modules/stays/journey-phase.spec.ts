import { phaseParams, phaseSql, stayOverlapsSql } from './journey-phase.js';

describe('phase SQL helpers', () => {
  it('call the one SQL definition, stay_phase(), on the stay facts cached on the row', () => {
    expect(phaseSql('v')).toBe(
      'stay_phase(v.booked_stays, v.stay_departures, :phaseNow::timestamptz, :phaseAfterDays::integer)',
    );
    expect(phaseSql('visitor', '$1', 'd.after_stay_days')).toBe(
      'stay_phase(visitor.booked_stays, visitor.stay_departures, $1::timestamptz, d.after_stay_days::integer)',
    );
  });

  it('gives the values of the default parameters', () => {
    expect(phaseParams(new Date('2026-07-01T12:00:00Z'), 90)).toEqual({
      phaseNow: '2026-07-01T12:00:00.000Z',
      phaseAfterDays: 90,
    });
  });

  it('refuses anything but an alias and parameter names (no SQL through them)', () => {
    expect(() => phaseSql('v; DROP TABLE stays')).toThrow(/alias/);
    expect(() => phaseSql('v', "'2026-01-01'")).toThrow(/parameter/);
    expect(() => stayOverlapsSql('$1', ':from', '1=1) OR (true')).toThrow(/parameter/);
    expect(() => stayOverlapsSql("'x'", null, null)).toThrow(/parameter/);
  });

  it('writes the overlap of half-open stays, cancelled ones ignored', () => {
    const sql = stayOverlapsSql('$1', ':from', ':to');
    expect(sql).toContain("status <> 'CANCELLED'");
    expect(sql).toContain('s_ov.destination_id = $1::uuid');
    expect(sql).toContain('s_ov.departure_at > :from::timestamptz');
    expect(sql).toContain('s_ov.arrival_at < :to::timestamptz');
    // An open bound has no condition.
    expect(stayOverlapsSql('$1', null, null)).not.toMatch(/departure_at|arrival_at/);
  });
});
