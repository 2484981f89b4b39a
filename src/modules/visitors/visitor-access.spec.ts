import { ApiScope } from '../access/api-key.entity.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import {
  maskEmail,
  maskPhone,
  masksContactDetails,
  requiresProfilingConsent,
} from './visitor-access.js';

const user = (role: Role): AuthContext => ({
  destinationId: 'd',
  principal: { kind: 'user', userId: 'u', role },
});
const key = (...scopes: ApiScope[]): AuthContext => ({
  destinationId: 'd',
  principal: { kind: 'apiKey', apiKeyId: 'k', scopes },
});

describe('visitor access policy', () => {
  it('masks contact details for analysts only', () => {
    expect(masksContactDetails(user(Role.ANALYST))).toBe(true);
    expect(masksContactDetails(user(Role.MARKETER))).toBe(false);
    expect(masksContactDetails(key(ApiScope.READ_PROFILES))).toBe(false);
  });

  it('gates READ_PROFILES keys on the PROFILING consent', () => {
    expect(requiresProfilingConsent(key(ApiScope.READ_PROFILES))).toBe(true);
    expect(requiresProfilingConsent(user(Role.ADMIN))).toBe(false);
  });

  it('masks e-mails and phones without revealing them', () => {
    expect(maskEmail('jean.dupont@example.org')).toBe('j***@example.org');
    expect(maskPhone('+33 6 12 34 56 78')).toBe('***78');
  });
});
