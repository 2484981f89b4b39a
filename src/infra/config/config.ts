import { hkdfSync } from 'node:crypto';
import { Duration } from 'luxon';
import { z } from 'zod';
import { canonicalLocale, isTimeZone } from '../../common/validation.js';

/** Thrown at boot when the environment is not usable; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
/** `z.coerce.number()` reads "" as 0: an empty variable must mean "unset" (the default). */
const optionalInt = <T extends z.ZodType>(inner: T) => z.preprocess(emptyToUndefined, inner);
const optionalUrl = (protocols: RegExp, hint: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((v) => {
        try {
          return protocols.test(new URL(v).protocol);
        } catch {
          return false;
        }
      }, hint)
      .optional(),
  );
const isoDuration = z.string().refine((v) => {
  const d = Duration.fromISO(v);
  return d.isValid && d.as('milliseconds') > 0;
}, 'must be a positive ISO 8601 duration such as PT5M');
const nonNegativeIsoDuration = z.string().refine((v) => {
  const d = Duration.fromISO(v);
  return d.isValid && d.as('milliseconds') >= 0;
}, 'must be an ISO 8601 duration such as PT1H');
const timeZone = z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris');
const locale = z
  .string()
  .refine(
    (l) => canonicalLocale(l) !== undefined,
    'must be a BCP 47 language tag such as fr or en-GB',
  );

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
    ROLE: z.enum(['api', 'worker', 'all']).default('all'),
    PORT: optionalInt(z.coerce.number().int().min(0).max(65535).default(3000)),
    PUBLIC_URL: optionalUrl(/^https?:$/, 'must be an http(s) URL'),
    DATABASE_URL: optionalUrl(/^postgres(ql)?:$/, 'must be a postgres:// URL'),
    REDIS_URL: optionalUrl(/^rediss?:$/, 'must be a redis:// URL'),
    QUEUE_BACKEND: z.preprocess(emptyToUndefined, z.enum(['redis', 'postgres']).optional()),
    JWT_SECRET: z.preprocess(
      emptyToUndefined,
      z.string().min(32, 'must be at least 32 characters').optional(),
    ),
    ESCALE_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./.escale-data')),
    ESCALE_ADMIN_EMAIL: z.preprocess(emptyToUndefined, z.email().optional()),
    ESCALE_ADMIN_PASSWORD: z.preprocess(
      emptyToUndefined,
      z.string().min(10, 'must be at least 10 characters').optional(),
    ),
    ESCALE_DESTINATION_NAME: optionalString,
    ESCALE_DESTINATION_TIMEZONE: z.preprocess(emptyToUndefined, timeZone.default('Europe/Paris')),
    ESCALE_DESTINATION_LOCALE: z.preprocess(emptyToUndefined, locale.default('fr')),
    SMTP_URL: optionalUrl(/^smtps?:$/, 'must be an smtp:// or smtps:// URL'),
    MAIL_FROM: z.preprocess(emptyToUndefined, z.string().default('Escale <no-reply@localhost>')),
    SMTP_MAX_CONNECTIONS: optionalInt(z.coerce.number().int().min(1).max(100).default(5)),
    UNSUBSCRIBE_SECRET: z.preprocess(
      emptyToUndefined,
      z.string().min(32, 'must be at least 32 characters').optional(),
    ),
    LATE_GRACE: z.preprocess(emptyToUndefined, nonNegativeIsoDuration.default('PT1H')),
    X_DM_ACCESS_TOKEN: optionalString,
    X_BEARER_TOKEN: optionalString,
    X_API_BASE_URL: optionalUrl(/^https?:$/, 'must be an http(s) URL'),
    SOCIAL_POLL_INTERVAL: z.preprocess(emptyToUndefined, isoDuration.default('PT5M')),
    LOG_LEVEL: z.preprocess(
      emptyToUndefined,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
    MIGRATIONS: z.preprocess(emptyToUndefined, z.enum(['run', 'skip']).default('run')),
    LOGIN_MAX_FAILURES: optionalInt(z.coerce.number().int().min(1).default(5)),
    LOGIN_WINDOW_SECONDS: optionalInt(z.coerce.number().int().min(1).default(900)),
    INTEREST_HALF_LIFE_DAYS: optionalInt(z.coerce.number().positive().max(3650).default(90)),
  })
  .superRefine(
    (env, ctx) => {
      if (env.DATABASE_URL && !env.JWT_SECRET) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: 'is required when DATABASE_URL is set (outside the embedded mode)',
        });
      }
      if (env.QUEUE_BACKEND === 'redis' && !env.REDIS_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['REDIS_URL'],
          message: 'is required when QUEUE_BACKEND=redis',
        });
      }
      const bootstrap = [
        env.ESCALE_ADMIN_EMAIL,
        env.ESCALE_ADMIN_PASSWORD,
        env.ESCALE_DESTINATION_NAME,
      ].filter(Boolean).length;
      if (bootstrap > 0 && bootstrap < 3) {
        for (const name of [
          'ESCALE_ADMIN_EMAIL',
          'ESCALE_ADMIN_PASSWORD',
          'ESCALE_DESTINATION_NAME',
        ] as const) {
          if (!env[name]) {
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message:
                'is required when any of the ESCALE_ADMIN_* / ESCALE_DESTINATION_NAME is set',
            });
          }
        }
      }
    },
    {
      // Run the cross-variable checks even when a variable is already invalid, so that one error
      // names every variable to fix (by default zod skips refinements after the first issue).
      when: (payload) => typeof payload.value === 'object' && payload.value !== null,
    },
  );

export type Env = z.infer<typeof schema>;

export interface AppConfig {
  nodeEnv: Env['NODE_ENV'];
  role: Env['ROLE'];
  port: number;
  publicUrl: string;
  /** Undefined in the embedded mode until the embedded server has started. */
  databaseUrl?: string;
  embedded: boolean;
  redisUrl?: string;
  queueBackend: 'redis' | 'postgres';
  /** Prefix for BullMQ keys (Redis) or schema (PostgreSQL backend); tests isolate with it. */
  queuePrefix: string;
  jwtSecret?: string;
  dataDir: string;
  bootstrap?: { adminEmail: string; adminPassword: string; destinationName: string };
  destinationDefaults: { timeZone: string; locale: string };
  smtpUrl?: string;
  mailFrom: string;
  /** Size of the pooled SMTP transport. */
  smtpMaxConnections: number;
  /**
   * HMAC key of unsubscribe links when UNSUBSCRIBE_SECRET is set; otherwise derived from the JWT
   * secret by `unsubscribeSecretOf` (the embedded JWT secret only exists after loadRuntime).
   */
  unsubscribeSecret?: string;
  /** A message whose time is further in the past than this when scheduled is not sent. */
  lateGraceMs: number;
  /** X user-context token that sends direct messages; without it DM sends fail. */
  xDmAccessToken?: string;
  xBearerToken?: string;
  xApiBaseUrl?: string;
  socialPollIntervalMs: number;
  logLevel: Env['LOG_LEVEL'];
  runMigrations: boolean;
  login: { maxFailures: number; windowSeconds: number };
  /** Half-life of interest evidence in days: evidence that old counts half (default 90). */
  interestHalfLifeDays: number;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  return {
    nodeEnv: e.NODE_ENV,
    role: e.ROLE,
    port: e.PORT,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    databaseUrl: e.DATABASE_URL,
    embedded: !e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queueBackend: e.QUEUE_BACKEND ?? (e.REDIS_URL ? 'redis' : 'postgres'),
    queuePrefix: env.ESCALE_QUEUE_PREFIX || 'escale',
    jwtSecret: e.JWT_SECRET,
    dataDir: e.ESCALE_DATA_DIR,
    bootstrap:
      e.ESCALE_ADMIN_EMAIL && e.ESCALE_ADMIN_PASSWORD && e.ESCALE_DESTINATION_NAME
        ? {
            adminEmail: e.ESCALE_ADMIN_EMAIL,
            adminPassword: e.ESCALE_ADMIN_PASSWORD,
            destinationName: e.ESCALE_DESTINATION_NAME,
          }
        : undefined,
    destinationDefaults: {
      timeZone: e.ESCALE_DESTINATION_TIMEZONE,
      locale: e.ESCALE_DESTINATION_LOCALE,
    },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    smtpMaxConnections: e.SMTP_MAX_CONNECTIONS,
    unsubscribeSecret: e.UNSUBSCRIBE_SECRET,
    lateGraceMs: Duration.fromISO(e.LATE_GRACE).as('milliseconds'),
    xDmAccessToken: e.X_DM_ACCESS_TOKEN,
    xBearerToken: e.X_BEARER_TOKEN,
    xApiBaseUrl: e.X_API_BASE_URL,
    socialPollIntervalMs: Duration.fromISO(e.SOCIAL_POLL_INTERVAL).as('milliseconds'),
    logLevel: e.LOG_LEVEL,
    runMigrations: e.MIGRATIONS === 'run',
    login: { maxFailures: e.LOGIN_MAX_FAILURES, windowSeconds: e.LOGIN_WINDOW_SECONDS },
    interestHalfLifeDays: e.INTEREST_HALF_LIFE_DAYS,
  };
}

/**
 * The key of unsubscribe tokens: UNSUBSCRIBE_SECRET, else one derived from the JWT secret with
 * HKDF. Derived rather than random so links in mail already sent keep working across restarts
 * and processes, and separate from the JWT key so one never signs what the other accepts.
 */
export function unsubscribeSecretOf(config: Pick<AppConfig, 'unsubscribeSecret' | 'jwtSecret'>) {
  if (config.unsubscribeSecret) return config.unsubscribeSecret;
  if (!config.jwtSecret) throw new Error('No JWT secret to derive the unsubscribe secret from');
  return Buffer.from(
    hkdfSync('sha256', config.jwtSecret, 'escale', 'unsubscribe-token', 32),
  ).toString('base64url');
}

/** Injection token of the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
