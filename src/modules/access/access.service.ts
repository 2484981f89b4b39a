import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { badInput, conflict, notFound, unauthenticated } from '../../common/errors/app-error.js';
import { Clock } from '../../common/clock/clock.js';
import { assertId } from '../../common/validation.js';
import { ApiKeyEntity, ApiScope } from './api-key.entity.js';
import type { AuthPayload, ApiKeyCreated, Viewer } from './access.models.js';
import type { AuthContext } from './auth-context.js';
import { LoginRateLimiter } from './login-rate-limiter.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './password.js';
import { Role, UserEntity } from './user.entity.js';

const TOKEN_TTL_SECONDS = 12 * 3600;
const API_KEY_PREFIX = 'esk_';
/** lastUsedAt is a hint, not an audit log: write it at most once a minute per key. */
const LAST_USED_RESOLUTION_MS = 60_000;
const MIN_PASSWORD_LENGTH = 10;

interface TokenClaims {
  sub: string;
  dst: string;
  role: Role;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

@Injectable()
export class AccessService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(ApiKeyEntity) private readonly apiKeys: Repository<ApiKeyEntity>,
    private readonly jwt: JwtService,
    private readonly limiter: LoginRateLimiter,
    private readonly clock: Clock,
  ) {}

  async login(email: string, password: string, ip: string): Promise<AuthPayload> {
    const normalized = normalizeEmail(email);
    await this.limiter.assertAllowed(normalized, ip);
    const user = await this.users
      .createQueryBuilder('u')
      .where('lower(u.email) = :email', { email: normalized })
      .getOne();
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      await this.limiter.recordFailure(normalized, ip);
      throw unauthenticated('Wrong email or password');
    }
    await this.limiter.recordSuccess(normalized);
    const claims: TokenClaims = { sub: user.id, dst: user.destinationId, role: user.role };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: TOKEN_TTL_SECONDS });
    const expiresAt = new Date(this.clock.now().getTime() + TOKEN_TTL_SECONDS * 1000);
    return { accessToken, expiresAt, user };
  }

  /** Credentials from headers → AuthContext, or UNAUTHENTICATED. Undefined when none are given. */
  async authenticate(
    headers: Record<string, string | string[] | undefined>,
  ): Promise<AuthContext | undefined> {
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const authorization = header('authorization')?.trim();
    const apiKeyHeader = header('x-api-key')?.trim();
    if (apiKeyHeader) return this.authenticateApiKey(apiKeyHeader);
    if (!authorization) return undefined;
    const [scheme, value] = authorization.split(/\s+/, 2);
    if (/^bearer$/i.test(scheme) && value) return this.authenticateJwt(value);
    if (/^apikey$/i.test(scheme) && value) return this.authenticateApiKey(value);
    throw unauthenticated(
      'Unsupported Authorization header: use "Bearer <token>" or "ApiKey <key>"',
    );
  }

  private async authenticateJwt(token: string): Promise<AuthContext> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token);
    } catch {
      throw unauthenticated('Invalid or expired token');
    }
    // The role is read from the database, so a changed or removed user takes effect at once.
    const user = await this.users.findOneBy({ id: claims.sub, destinationId: claims.dst });
    if (!user) throw unauthenticated('Invalid or expired token');
    return {
      destinationId: user.destinationId,
      principal: { kind: 'user', userId: user.id, role: user.role },
    };
  }

  private async authenticateApiKey(secret: string): Promise<AuthContext> {
    const key = await this.apiKeys.findOneBy({ secretHash: sha256(secret) });
    if (!key || key.revokedAt) throw unauthenticated('Invalid or revoked API key');
    const now = this.clock.now();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.apiKeys.update({ id: key.id }, { lastUsedAt: now });
    }
    return {
      destinationId: key.destinationId,
      principal: { kind: 'apiKey', apiKeyId: key.id, scopes: key.scopes },
    };
  }

  async viewer(auth: AuthContext): Promise<Viewer> {
    const p = auth.principal;
    return {
      destinationId: auth.destinationId,
      user: p.kind === 'user' ? await this.users.findOneByOrFail({ id: p.userId }) : null,
      apiKey: p.kind === 'apiKey' ? await this.apiKeys.findOneByOrFail({ id: p.apiKeyId }) : null,
    };
  }

  listUsers(auth: AuthContext): Promise<UserEntity[]> {
    return this.users.find({
      where: { destinationId: auth.destinationId },
      order: { createdAt: 'ASC' },
    });
  }

  createUser(auth: AuthContext, email: string, password: string, role: Role): Promise<UserEntity> {
    return this.createUserIn(auth.destinationId, email, password, role);
  }

  /** Also used by the boot-time bootstrap and the CLI, which act for a destination, not a caller. */
  async createUserIn(
    destinationId: string,
    email: string,
    password: string,
    role: Role,
  ): Promise<UserEntity> {
    const normalized = normalizeEmail(email);
    if (!EMAIL_RE.test(normalized))
      throw badInput('email is not a valid address', { field: 'email' });
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw badInput(`password must be at least ${MIN_PASSWORD_LENGTH} characters`, {
        field: 'password',
      });
    }
    const exists = await this.users
      .createQueryBuilder('u')
      .where('lower(u.email) = :email', { email: normalized })
      .getExists();
    if (exists)
      throw conflict(`A user with email ${normalized} already exists`, { field: 'email' });
    return this.users.save(
      this.users.create({
        destinationId,
        email: normalized,
        passwordHash: await hashPassword(password),
        role,
      }),
    );
  }

  countUsers(destinationId: string): Promise<number> {
    return this.users.countBy({ destinationId });
  }

  listApiKeys(auth: AuthContext): Promise<ApiKeyEntity[]> {
    return this.apiKeys.find({
      where: { destinationId: auth.destinationId },
      order: { createdAt: 'ASC' },
    });
  }

  async createApiKey(auth: AuthContext, name: string, scopes: ApiScope[]): Promise<ApiKeyCreated> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 100)
      throw badInput('name must be 1 to 100 characters', { field: 'name' });
    if (!scopes.length) throw badInput('an API key needs at least one scope', { field: 'scopes' });
    const secret = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const apiKey = await this.apiKeys.save(
      this.apiKeys.create({
        destinationId: auth.destinationId,
        name: trimmed,
        prefix: secret.slice(0, API_KEY_PREFIX.length + 8),
        secretHash: sha256(secret),
        scopes: [...new Set(scopes)],
        lastUsedAt: null,
        revokedAt: null,
      }),
    );
    return { apiKey, secret };
  }

  async revokeApiKey(auth: AuthContext, id: string): Promise<ApiKeyEntity> {
    const key = await this.apiKeys.findOneBy({
      id: assertId(id),
      destinationId: auth.destinationId,
    });
    if (!key) throw notFound('ApiKey', id);
    if (!key.revokedAt) {
      await this.apiKeys.update({ id, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
    }
    return this.apiKeys.findOneByOrFail({ id });
  }
}
