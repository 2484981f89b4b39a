import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { forbidden, unauthenticated } from '../../common/errors/app-error.js';
import { ACCESS_RULE, type AccessRule } from './access.decorators.js';
import { AccessService } from './access.service.js';
import { requestOf } from './request-of.js';

/**
 * The one global guard. Deny by default: an operation without @Allow/@Authenticated/@Public is
 * refused, whoever calls it. Otherwise the caller must be a user with one of the roles, or an API
 * key with one of the scopes.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!rule) {
      throw forbidden(
        `${context.getClass().name}.${context.getHandler().name} declares no access rule`,
      );
    }
    if (rule.public) return true;

    const req = requestOf(context);
    req.auth ??= await this.access.authenticate(req.headers);
    const auth = req.auth;
    if (!auth) throw unauthenticated();
    const p = auth.principal;
    const allowed =
      p.kind === 'user'
        ? rule.roles.includes(p.role)
        : p.scopes.some((s) => rule.scopes.includes(s));
    if (!allowed) {
      throw forbidden(
        p.kind === 'user'
          ? `Role ${p.role} may not do this`
          : `This API key lacks a scope for this (one of: ${rule.scopes.join(', ') || 'none: users only'})`,
      );
    }
    return true;
  }
}
