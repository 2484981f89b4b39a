import type { ApiScope } from './api-key.entity.js';
import type { Role } from './user.entity.js';

export type Principal =
  | { kind: 'user'; userId: string; role: Role }
  | { kind: 'apiKey'; apiKeyId: string; scopes: ApiScope[] };

/** Who is calling, and in which destination. Every service call takes it; nothing else names the tenant. */
export interface AuthContext {
  destinationId: string;
  principal: Principal;
}

export const isRole = (auth: AuthContext, ...roles: Role[]) =>
  auth.principal.kind === 'user' && roles.includes(auth.principal.role);

export const hasScope = (auth: AuthContext, scope: ApiScope) =>
  auth.principal.kind === 'apiKey' && auth.principal.scopes.includes(scope);
