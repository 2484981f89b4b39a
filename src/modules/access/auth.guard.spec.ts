import { jest } from '@jest/globals';
import type { ExecutionContext, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, ErrorCode, unauthenticated } from '../../common/errors/app-error.js';
import { Allow, Authenticated, Public } from './access.decorators.js';
import type { AccessService } from './access.service.js';
import { ApiScope } from './api-key.entity.js';
import type { AuthContext } from './auth-context.js';
import { AuthGuard } from './auth.guard.js';
import { Role } from './user.entity.js';

class Operations {
  undeclared() {}

  @Public()
  open() {}

  @Authenticated()
  anyone() {}

  @Allow({ roles: [Role.ADMIN] })
  adminsOnly() {}

  @Allow({ roles: [Role.ADMIN, Role.MARKETER], scopes: [ApiScope.WRITE_STAYS] })
  editStays() {}
}

@Allow({ roles: [Role.ANALYST] })
class AnalystController {
  /** Takes the class rule. */
  report() {}

  /** A handler rule overrides the class rule. */
  @Public()
  ping() {}
}

const user = (role: Role): AuthContext => ({
  destinationId: 'd1',
  principal: { kind: 'user', userId: 'u1', role },
});
const apiKey = (...scopes: ApiScope[]): AuthContext => ({
  destinationId: 'd1',
  principal: { kind: 'apiKey', apiKeyId: 'k1', scopes },
});

/** Credentials are the caller's AuthContext itself, keyed by a fake bearer token. */
const CALLERS: Record<string, AuthContext> = {
  'Bearer admin': user(Role.ADMIN),
  'Bearer marketer': user(Role.MARKETER),
  'Bearer analyst': user(Role.ANALYST),
  'ApiKey stays': apiKey(ApiScope.WRITE_STAYS),
  'ApiKey aggregates': apiKey(ApiScope.READ_AGGREGATES, ApiScope.READ_PROFILES),
};

function setup() {
  const authenticate = jest.fn(async (headers: Record<string, string | string[] | undefined>) => {
    const authorization = headers.authorization as string | undefined;
    if (!authorization) return undefined;
    const auth = CALLERS[authorization];
    if (!auth) throw unauthenticated('Invalid or expired token');
    return auth;
  });
  const access = { authenticate } as unknown as AccessService;
  const guard = new AuthGuard(new Reflector(), access);

  const call = async <T extends object>(cls: Type<T>, method: keyof T, authorization?: string) => {
    const req: { headers: Record<string, string>; auth?: AuthContext } = {
      headers: authorization ? { authorization } : {},
    };
    const context = {
      getType: () => 'http',
      getClass: () => cls,
      getHandler: () => cls.prototype[method],
      getArgs: () => [req, {}, () => undefined],
      getArgByIndex: (i: number) => [req, {}, () => undefined][i],
      switchToHttp: () => ({
        getRequest: () => req,
        getResponse: () => ({}),
        getNext: () => () => undefined,
      }),
      switchToRpc: () => {
        throw new Error('not rpc');
      },
      switchToWs: () => {
        throw new Error('not ws');
      },
    } as unknown as ExecutionContext;
    try {
      return { allowed: await guard.canActivate(context), req };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return { code: error.code, message: error.message, req };
    }
  };
  return { call, authenticate };
}

describe('AuthGuard', () => {
  it('refuses an operation that declares no access rule, even to a valid ADMIN', async () => {
    const { call, authenticate } = setup();
    const result = await call(Operations, 'undeclared', 'Bearer admin');
    expect(result.code).toBe(ErrorCode.FORBIDDEN);
    expect(result.message).toContain('Operations.undeclared');
    // Refused before credentials are even looked at.
    expect(authenticate).not.toHaveBeenCalled();
    expect((await call(Operations, 'undeclared')).code).toBe(ErrorCode.FORBIDDEN);
  });

  it('lets anyone through a @Public operation without looking at credentials', async () => {
    const { call, authenticate } = setup();
    expect((await call(Operations, 'open')).allowed).toBe(true);
    expect((await call(Operations, 'open', 'Bearer garbage')).allowed).toBe(true);
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('answers UNAUTHENTICATED without credentials, or with bad ones', async () => {
    const { call } = setup();
    expect((await call(Operations, 'anyone')).code).toBe(ErrorCode.UNAUTHENTICATED);
    expect((await call(Operations, 'anyone', 'Bearer garbage')).code).toBe(
      ErrorCode.UNAUTHENTICATED,
    );
  });

  it('lets any user or any API key through @Authenticated, and records who called', async () => {
    const { call } = setup();
    for (const caller of Object.keys(CALLERS)) {
      const result = await call(Operations, 'anyone', caller);
      expect(result.allowed).toBe(true);
      expect(result.req.auth).toEqual(CALLERS[caller]);
    }
  });

  it('checks user roles', async () => {
    const { call } = setup();
    expect((await call(Operations, 'adminsOnly', 'Bearer admin')).allowed).toBe(true);
    const marketer = await call(Operations, 'adminsOnly', 'Bearer marketer');
    expect(marketer.code).toBe(ErrorCode.FORBIDDEN);
    expect(marketer.message).toContain('MARKETER');
    expect((await call(Operations, 'editStays', 'Bearer marketer')).allowed).toBe(true);
    expect((await call(Operations, 'editStays', 'Bearer analyst')).code).toBe(ErrorCode.FORBIDDEN);
  });

  it('checks API key scopes, any one of them being enough', async () => {
    const { call } = setup();
    expect((await call(Operations, 'editStays', 'ApiKey stays')).allowed).toBe(true);
    const refused = await call(Operations, 'editStays', 'ApiKey aggregates');
    expect(refused.code).toBe(ErrorCode.FORBIDDEN);
    expect(refused.message).toContain('WRITE_STAYS');
    // A rule without scopes is for users only.
    const usersOnly = await call(Operations, 'adminsOnly', 'ApiKey stays');
    expect(usersOnly.code).toBe(ErrorCode.FORBIDDEN);
    expect(usersOnly.message).toContain('users only');
  });

  it('reads the rule from the class, a handler rule taking precedence', async () => {
    const { call } = setup();
    expect((await call(AnalystController, 'report', 'Bearer analyst')).allowed).toBe(true);
    expect((await call(AnalystController, 'report', 'Bearer admin')).code).toBe(
      ErrorCode.FORBIDDEN,
    );
    expect((await call(AnalystController, 'ping')).allowed).toBe(true);
  });

  it('authenticates once per request', async () => {
    const { call, authenticate } = setup();
    const req = { headers: { authorization: 'Bearer admin' }, auth: user(Role.ADMIN) };
    // A request already authenticated (e.g. by an earlier guard run) is not authenticated again.
    const guard = new AuthGuard(new Reflector(), { authenticate } as unknown as AccessService);
    const context = {
      getType: () => 'http',
      getClass: () => Operations,
      getHandler: () => Operations.prototype.adminsOnly,
      switchToHttp: () => ({ getRequest: () => req }),
    } as unknown as ExecutionContext;
    expect(await guard.canActivate(context)).toBe(true);
    expect(authenticate).not.toHaveBeenCalled();
    await call(Operations, 'anyone', 'Bearer admin');
    expect(authenticate).toHaveBeenCalledTimes(1);
  });
});
