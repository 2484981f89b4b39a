import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';

/**
 * The AuthContext of background work for one destination (activation chunks, event listeners,
 * the send worker): an ADMIN-like user that does not exist, so segment filters compile with the
 * destination's full scope and nothing is limited by an API key's consent rule.
 */
export const systemAuth = (destinationId: string): AuthContext => ({
  destinationId,
  principal: { kind: 'user', userId: 'system', role: Role.ADMIN },
});
