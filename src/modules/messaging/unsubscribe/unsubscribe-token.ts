import { createHmac, timingSafeEqual } from 'node:crypto';

export interface UnsubscribeClaims {
  messageId: string;
  visitorId: string;
  channel: string;
}

/** Keeps a token of this scheme from ever verifying as another use of the same key. */
const DOMAIN = 'escale/unsubscribe/v1';
const MAX_TOKEN_LENGTH = 1_000;

const sign = (payload: string, secret: string) =>
  createHmac('sha256', secret).update(DOMAIN).update('\0').update(payload).digest();

/**
 * `<payload>.<signature>`, both base64url: the claims in the clear (they are not secret: the
 * recipient is the visitor) and an HMAC-SHA256 over them. No expiry on purpose: RFC 8058 and the
 * mailbox providers expect an unsubscribe link to keep working long after the mail was sent.
 */
export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string): string {
  const payload = Buffer.from(
    JSON.stringify([claims.messageId, claims.visitorId, claims.channel]),
  ).toString('base64url');
  return `${payload}.${sign(payload, secret).toString('base64url')}`;
}

/** The claims of a token this secret signed, or null for anything else (tampered, garbage). */
export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeClaims | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 2) return null;
  const [payload, signature] = parts as [string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return null;
  const given = Buffer.from(signature, 'base64url');
  // One spelling per token: base64url's last character has unused bits.
  if (given.toString('base64url') !== signature) return null;
  const expected = sign(payload, secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (
      !Array.isArray(claims) ||
      claims.length !== 3 ||
      !claims.every((c) => typeof c === 'string' && c.length > 0)
    ) {
      return null;
    }
    const [messageId, visitorId, channel] = claims as [string, string, string];
    return { messageId, visitorId, channel };
  } catch {
    return null;
  }
}
