import {
  canonicalLocale,
  canonicalTimeZone,
  isUuid,
  isHourMinute,
  isTimeZone,
  normalizeHandle,
  normalizeHashtag,
} from './validation.js';

describe('validation helpers', () => {
  it('accepts IANA zones only', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('CET')).toBe(false);
    expect(isTimeZone('+02:00')).toBe(false);
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('utc')).toBe('UTC');
  });

  it('recognises uuids', () => {
    expect(isUuid('a0a31cf7-caaa-4383-bdb4-da0d316236e2')).toBe(true);
    expect(isUuid('42')).toBe(false);
  });

  it('canonicalises BCP 47 tags and refuses malformed ones', () => {
    expect(canonicalLocale('fr')).toBe('fr');
    expect(canonicalLocale('en-gb')).toBe('en-GB');
    expect(canonicalLocale('not a locale')).toBeUndefined();
    expect(canonicalLocale('')).toBeUndefined();
  });

  it('checks HH:MM', () => {
    expect(isHourMinute('22:00')).toBe(true);
    expect(isHourMinute('07:30')).toBe(true);
    expect(isHourMinute('24:00')).toBe(false);
    expect(isHourMinute('7:30')).toBe(false);
  });

  it('stores handles without @ and hashtags without #', () => {
    expect(normalizeHandle('@RueVasselot')).toBe('RueVasselot');
    expect(normalizeHandle('rue vasselot')).toBeUndefined();
    expect(normalizeHandle('a_very_long_handle_x')).toBeUndefined();
    expect(normalizeHashtag('#RennesSocialDerby')).toBe('RennesSocialDerby');
    expect(normalizeHashtag('fêtedelamusique')).toBe('fêtedelamusique');
    expect(normalizeHashtag('#two words')).toBeUndefined();
    expect(normalizeHashtag('#2016')).toBeUndefined();
  });
});
