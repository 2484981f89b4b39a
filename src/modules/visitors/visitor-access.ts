import { ApiScope } from '../access/api-key.entity.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';

/**
 * Who sees which visitors, and how much of them:
 * - ADMIN, MARKETER: every visitor, in full;
 * - ANALYST: every visitor, e-mail and phone masked;
 * - an API key with READ_PROFILES: only visitors whose current PROFILING consent is granted;
 * - other API keys cannot read visitors; what they write (a stay's guest) is answered in full.
 * Erased visitors are never shown.
 */
export function requiresProfilingConsent(auth: AuthContext): boolean {
  return auth.principal.kind === 'apiKey';
}

export function masksContactDetails(auth: AuthContext): boolean {
  return auth.principal.kind === 'user' && auth.principal.role === Role.ANALYST;
}

/** "jean.dupont@example.org" → "j***@example.org". */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}

/** "+33 6 12 34 56 78" → "***78". */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `***${digits.slice(-2)}`;
}

/** How much of a visitor's identity a caller sees. */
export type PiiView = 'full' | 'masked-contact' | 'hidden';

/**
 * Users see everything (analysts with e-mail and phone masked). An API key sees a person's
 * names and contact details only with READ_PROFILES and the person's PROFILING consent: a
 * partner that writes a booking must not learn what Escale holds about an e-mail it sends.
 */
export function piiView(auth: AuthContext, profilingConsent: () => Promise<boolean>) {
  const p = auth.principal;
  if (p.kind === 'user')
    return Promise.resolve<PiiView>(masksContactDetails(auth) ? 'masked-contact' : 'full');
  if (!p.scopes.includes(ApiScope.READ_PROFILES)) return Promise.resolve<PiiView>('hidden');
  return profilingConsent().then<PiiView>((granted) => (granted ? 'full' : 'hidden'));
}
