import { ConfigError, loadConfig, unsubscribeSecretOf } from './config.js';

const SECRET = 'x'.repeat(32);

/** The ConfigError thrown for `env`, or a failure when none is thrown. */
function configErrorFor(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const variables = (error: ConfigError) => [...new Set(error.issues.map((i) => i.variable))].sort();

describe('loadConfig', () => {
  it('defaults to the embedded mode with the PostgreSQL queue backend on an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'production',
      role: 'all',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      embedded: true,
      databaseUrl: undefined,
      queueBackend: 'postgres',
      queuePrefix: 'escale',
      dataDir: './.escale-data',
      bootstrap: undefined,
      destinationDefaults: { timeZone: 'Europe/Paris', locale: 'fr' },
      socialPollIntervalMs: 300_000,
      logLevel: 'info',
      runMigrations: true,
      login: { maxFailures: 5, windowSeconds: 900 },
    });
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', REDIS_URL: ' ', QUEUE_BACKEND: '' });
    expect(config.port).toBe(3000);
    expect(config.embedded).toBe(true);
    expect(config.queueBackend).toBe('postgres');
  });

  it('uses Redis for queues when REDIS_URL is set, unless QUEUE_BACKEND says otherwise', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).queueBackend).toBe('redis');
    expect(
      loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_BACKEND: 'postgres' }).queueBackend,
    ).toBe('postgres');
  });

  it('leaves the embedded mode when DATABASE_URL is set', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://escale@db:5432/escale',
      JWT_SECRET: SECRET,
      PORT: '8080',
      PUBLIC_URL: 'https://crm.example.org/',
      SOCIAL_POLL_INTERVAL: 'PT1M30S',
    });
    expect(config).toMatchObject({
      embedded: false,
      databaseUrl: 'postgres://escale@db:5432/escale',
      jwtSecret: SECRET,
      port: 8080,
      publicUrl: 'https://crm.example.org',
      socialPollIntervalMs: 90_000,
    });
  });

  it('builds the first-boot bootstrap only when the three variables are set', () => {
    const config = loadConfig({
      ESCALE_ADMIN_EMAIL: 'admin@example.org',
      ESCALE_ADMIN_PASSWORD: 'long enough password',
      ESCALE_DESTINATION_NAME: 'Rennes',
    });
    expect(config.bootstrap).toEqual({
      adminEmail: 'admin@example.org',
      adminPassword: 'long enough password',
      destinationName: 'Rennes',
    });
  });

  it('names every bad variable at once', () => {
    const error = configErrorFor({
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      ESCALE_DESTINATION_TIMEZONE: 'Mars/Olympus',
      SOCIAL_POLL_INTERVAL: '5 minutes',
      QUEUE_BACKEND: 'redis',
      ESCALE_ADMIN_EMAIL: 'admin@example.org',
    });
    expect(variables(error)).toEqual(
      [
        'PORT',
        'DATABASE_URL',
        'ESCALE_DESTINATION_TIMEZONE',
        'SOCIAL_POLL_INTERVAL',
        // DATABASE_URL is set (if wrong): the embedded mode is off, so a JWT secret is needed.
        'JWT_SECRET',
        'REDIS_URL',
        'ESCALE_ADMIN_PASSWORD',
        'ESCALE_DESTINATION_NAME',
      ].sort(),
    );
    for (const issue of error.issues) expect(issue.message).not.toBe('');
    for (const name of variables(error)) expect(error.message).toContain(name);
  });

  it('names the cross-variable problems together with the per-variable ones', () => {
    const error = configErrorFor({
      PORT: 'abc',
      DATABASE_URL: 'postgres://escale@db:5432/escale',
      QUEUE_BACKEND: 'redis',
      ESCALE_ADMIN_EMAIL: 'admin@example.org',
    });
    expect(variables(error)).toEqual(
      [
        'PORT',
        'JWT_SECRET',
        'REDIS_URL',
        'ESCALE_ADMIN_PASSWORD',
        'ESCALE_DESTINATION_NAME',
      ].sort(),
    );
  });

  it.each<[string, Record<string, string>, string]>([
    [
      'a missing JWT_SECRET outside the embedded mode',
      { DATABASE_URL: 'postgres://db/escale' },
      'JWT_SECRET',
    ],
    ['a short JWT_SECRET', { JWT_SECRET: 'short' }, 'JWT_SECRET'],
    ['QUEUE_BACKEND=redis without REDIS_URL', { QUEUE_BACKEND: 'redis' }, 'REDIS_URL'],
    ['an unknown QUEUE_BACKEND', { QUEUE_BACKEND: 'kafka' }, 'QUEUE_BACKEND'],
    ['a zero duration', { SOCIAL_POLL_INTERVAL: 'PT0S' }, 'SOCIAL_POLL_INTERVAL'],
    ['a port out of range', { PORT: '70000' }, 'PORT'],
    [
      'a malformed locale',
      { ESCALE_DESTINATION_LOCALE: 'not a locale' },
      'ESCALE_DESTINATION_LOCALE',
    ],
    ['an unknown ROLE', { ROLE: 'cron' }, 'ROLE'],
    ['an http SMTP_URL', { SMTP_URL: 'http://mail.example.org' }, 'SMTP_URL'],
    ['zero SMTP connections', { SMTP_MAX_CONNECTIONS: '0' }, 'SMTP_MAX_CONNECTIONS'],
    ['a short UNSUBSCRIBE_SECRET', { UNSUBSCRIBE_SECRET: 'short' }, 'UNSUBSCRIBE_SECRET'],
    ['a LATE_GRACE that is not a duration', { LATE_GRACE: '1 hour' }, 'LATE_GRACE'],
  ])('refuses %s', (_, env, variable) => {
    expect(variables(configErrorFor(env))).toEqual([variable]);
  });

  it('requires the first-boot variables together', () => {
    expect(variables(configErrorFor({ ESCALE_ADMIN_EMAIL: 'admin@example.org' }))).toEqual([
      'ESCALE_ADMIN_PASSWORD',
      'ESCALE_DESTINATION_NAME',
    ]);
    expect(variables(configErrorFor({ ESCALE_DESTINATION_NAME: 'Rennes' }))).toEqual([
      'ESCALE_ADMIN_EMAIL',
      'ESCALE_ADMIN_PASSWORD',
    ]);
  });

  it('reads the messaging settings, with their defaults', () => {
    expect(loadConfig({})).toMatchObject({
      smtpUrl: undefined,
      mailFrom: 'Escale <no-reply@localhost>',
      smtpMaxConnections: 5,
      unsubscribeSecret: undefined,
      lateGraceMs: 3_600_000,
      xDmAccessToken: undefined,
    });
    expect(
      loadConfig({
        SMTP_URL: 'smtps://user:pass@smtp.example.org:465',
        MAIL_FROM: 'Rennes <hello@rennes.example>',
        SMTP_MAX_CONNECTIONS: '10',
        UNSUBSCRIBE_SECRET: 'u'.repeat(32),
        LATE_GRACE: 'PT30M',
        X_DM_ACCESS_TOKEN: 'user-token',
      }),
    ).toMatchObject({
      smtpUrl: 'smtps://user:pass@smtp.example.org:465',
      mailFrom: 'Rennes <hello@rennes.example>',
      smtpMaxConnections: 10,
      unsubscribeSecret: 'u'.repeat(32),
      lateGraceMs: 1_800_000,
      xDmAccessToken: 'user-token',
    });
    expect(loadConfig({ LATE_GRACE: 'PT0S' }).lateGraceMs).toBe(0);
  });

  it('derives a stable unsubscribe secret from the JWT secret unless one is given', () => {
    const derived = unsubscribeSecretOf({ jwtSecret: SECRET });
    expect(derived).toBe(unsubscribeSecretOf({ jwtSecret: SECRET }));
    expect(derived).not.toContain(SECRET);
    expect(derived).not.toBe(unsubscribeSecretOf({ jwtSecret: 'y'.repeat(32) }));
    expect(derived.length).toBeGreaterThanOrEqual(32);
    expect(unsubscribeSecretOf({ jwtSecret: SECRET, unsubscribeSecret: 'u'.repeat(32) })).toBe(
      'u'.repeat(32),
    );
    expect(() => unsubscribeSecretOf({})).toThrow(/JWT secret/);
  });
});
