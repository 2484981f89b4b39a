import { canonicalLocale, canonicalTimeZone } from '../../common/validation.js';
import { normalizeEmail } from '../access/access.service.js';
import type { VisitorFieldsInput } from './visitor.inputs.js';

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE_RE = /^\+?[0-9 ().-]{6,32}$/;
const REGIONS = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
/** Codes Intl knows that are not countries. */
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'QO', 'XA', 'XB', 'ZZ']);

export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && !NOT_COUNTRIES.has(code) && REGIONS.of(code) !== undefined;
}

export interface VisitorFields {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  locale?: string | null;
  countryCode?: string | null;
  timeZone?: string | null;
  tags?: string[];
}

const text = (v: string | null | undefined) => (v == null ? null : v.trim() || null);

/**
 * Validates and normalises the profile fields of a create, update or import line. Returns every
 * problem at once (an import line reports all its reasons); only given fields are in `value`.
 */
export function checkVisitorFields(input: VisitorFieldsInput): {
  value: VisitorFields;
  errors: string[];
} {
  const value: VisitorFields = {};
  const errors: string[] = [];
  if (input.firstName !== undefined) value.firstName = text(input.firstName);
  if (input.lastName !== undefined) value.lastName = text(input.lastName);
  if (input.email !== undefined) {
    const email = text(input.email);
    if (email && !EMAIL_RE.test(email)) errors.push(`email: ${email} is not an e-mail address`);
    value.email = email ? normalizeEmail(email) : null;
  }
  if (input.phone !== undefined) {
    const phone = text(input.phone);
    if (phone && !PHONE_RE.test(phone)) errors.push(`phone: ${phone} is not a phone number`);
    value.phone = phone;
  }
  if (input.locale !== undefined) {
    const raw = text(input.locale);
    const locale = raw ? canonicalLocale(raw) : null;
    if (raw && !locale) errors.push(`locale: ${raw} is not a BCP 47 language tag`);
    value.locale = locale ?? null;
  }
  if (input.countryCode !== undefined) {
    const code = text(input.countryCode)?.toUpperCase() ?? null;
    if (code && !isCountryCode(code))
      errors.push(`countryCode: ${code} is not an ISO 3166-1 alpha-2 code`);
    value.countryCode = code;
  }
  if (input.timeZone !== undefined) {
    const raw = text(input.timeZone);
    const zone = raw ? canonicalTimeZone(raw) : null;
    if (raw && !zone) errors.push(`timeZone: ${raw} is not an IANA time zone`);
    value.timeZone = zone ?? null;
  }
  if (input.tags != null) {
    value.tags = [...new Set(input.tags.map((t) => t.trim().toLowerCase()).filter(Boolean))];
  }
  return { value, errors };
}
