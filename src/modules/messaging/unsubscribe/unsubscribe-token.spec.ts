import { signUnsubscribeToken, verifyUnsubscribeToken } from './unsubscribe-token.js';

const SECRET = 's'.repeat(43);
const claims = {
  messageId: '0b6a1c52-5f3e-4f0e-9a57-1d2f8f0c9a11',
  visitorId: '6d1f9a0e-2b7c-4c55-8e0a-3f4b5c6d7e8f',
  channel: 'EMAIL',
};

describe('unsubscribe tokens', () => {
  it('round-trips and is URL-safe', () => {
    const token = signUnsubscribeToken(claims, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyUnsubscribeToken(token, SECRET)).toEqual(claims);
    expect(signUnsubscribeToken(claims, SECRET)).toBe(token);
  });

  it('differs per message, visitor and channel', () => {
    const tokens = new Set([
      signUnsubscribeToken(claims, SECRET),
      signUnsubscribeToken({ ...claims, messageId: claims.visitorId }, SECRET),
      signUnsubscribeToken({ ...claims, visitorId: claims.messageId }, SECRET),
      signUnsubscribeToken({ ...claims, channel: 'TWITTER_DM' }, SECRET),
    ]);
    expect(tokens.size).toBe(4);
  });

  it('refuses another secret', () => {
    const token = signUnsubscribeToken(claims, SECRET);
    expect(verifyUnsubscribeToken(token, 't'.repeat(43))).toBeNull();
  });

  it('refuses a tampered payload or signature', () => {
    const token = signUnsubscribeToken(claims, SECRET);
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify([claims.messageId, 'ffffffff-2b7c-4c55-8e0a-3f4b5c6d7e8f', 'EMAIL']),
    ).toString('base64url');
    expect(verifyUnsubscribeToken(`${forged}.${signature}`, SECRET)).toBeNull();
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(verifyUnsubscribeToken(`${payload}.${flipped}`, SECRET)).toBeNull();
    expect(verifyUnsubscribeToken(`${payload}.${signature.slice(0, -1)}`, SECRET)).toBeNull();
    expect(verifyUnsubscribeToken(`${payload}.${signature}.x`, SECRET)).toBeNull();
  });

  it.each([
    '',
    'garbage',
    '.',
    'a.b',
    '%%%.%%%',
    'x'.repeat(5000),
    `${Buffer.from('not json').toString('base64url')}.${'A'.repeat(43)}`,
  ])('refuses garbage %#', (token) => {
    expect(verifyUnsubscribeToken(token, SECRET)).toBeNull();
  });

  it('refuses a well-signed payload of the wrong shape', async () => {
    // Signed with the right key but not claims: only reachable if the key leaked, still no crash.
    const { createHmac } = await import('node:crypto');
    const payload = Buffer.from(JSON.stringify({ messageId: 'x' })).toString('base64url');
    const signature = createHmac('sha256', SECRET)
      .update('escale/unsubscribe/v1')
      .update('\0')
      .update(payload)
      .digest('base64url');
    expect(verifyUnsubscribeToken(`${payload}.${signature}`, SECRET)).toBeNull();
  });
});
