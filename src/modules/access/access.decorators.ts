import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiScope } from './api-key.entity.js';
import type { AuthContext } from './auth-context.js';
import { requestOf } from './request-of.js';
import { Role } from './user.entity.js';

export const ACCESS_RULE = 'escale:access-rule';

export type AccessRule =
  { public: true } | { public?: false; roles: readonly Role[]; scopes: readonly ApiScope[] };

/**
 * Every operation declares who may call it; the global AuthGuard refuses any that does not.
 * `roles` are user roles, `scopes` API key scopes (any one of them is enough).
 */
export const Allow = (rule: { roles?: readonly Role[]; scopes?: readonly ApiScope[] }) =>
  SetMetadata(ACCESS_RULE, { roles: rule.roles ?? [], scopes: rule.scopes ?? [] } as AccessRule);

/** Reachable without credentials (login, health, metrics, the explorer page). */
export const Public = () => SetMetadata(ACCESS_RULE, { public: true } as AccessRule);

export const ALL_ROLES = [Role.ADMIN, Role.MARKETER, Role.ANALYST] as const;
export const ALL_SCOPES = Object.values(ApiScope);
/** Any signed-in user or any API key. */
export const Authenticated = () => Allow({ roles: ALL_ROLES, scopes: ALL_SCOPES });

/** The caller's AuthContext, set by the AuthGuard. */
export const Auth = createParamDecorator((_: unknown, context: ExecutionContext): AuthContext => {
  const auth = requestOf(context).auth;
  if (!auth) throw new Error('Auth() used on an operation the AuthGuard did not authenticate');
  return auth;
});
