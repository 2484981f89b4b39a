import { checkVisitorFields, isCountryCode } from './visitor-fields.js';

describe('visitor fields', () => {
  it('normalises what it accepts', () => {
    const { value, errors } = checkVisitorFields({
      firstName: '  Anne ',
      email: ' Anne.Le-Goff@Example.ORG ',
      locale: 'en-gb',
      countryCode: 'fr',
      timeZone: 'europe/paris',
      tags: ['Golf', 'golf', ' vip '],
    });
    expect(errors).toEqual([]);
    expect(value).toEqual({
      firstName: 'Anne',
      email: 'anne.le-goff@example.org',
      locale: 'en-GB',
      countryCode: 'FR',
      timeZone: 'Europe/Paris',
      tags: ['golf', 'vip'],
    });
  });

  it('reports every bad field at once', () => {
    const { errors } = checkVisitorFields({
      email: 'not-an-email',
      phone: 'call me',
      locale: 'not a locale',
      countryCode: 'XX',
      timeZone: 'Mars/Olympus',
    });
    expect(errors).toHaveLength(5);
    expect(errors.join(' ')).toMatch(/email.*phone.*locale.*countryCode.*timeZone/);
  });

  it('leaves absent fields out and clears blank ones', () => {
    expect(checkVisitorFields({ email: '  ' }).value).toEqual({ email: null });
    expect(checkVisitorFields({}).value).toEqual({});
  });

  it('knows country codes', () => {
    expect(isCountryCode('FR')).toBe(true);
    expect(isCountryCode('GB')).toBe(true);
    expect(isCountryCode('XX')).toBe(false);
    expect(isCountryCode('EU')).toBe(false);
  });
});
