import { Role } from '../../src/modules/access/user.entity.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

describe('access (e2e)', () => {
  let app: TestApp;
  let a: Awaited<ReturnType<typeof seedDestination>>;

  beforeAll(async () => {
    app = await startTestApp({ env: { LOGIN_MAX_FAILURES: '3' } });
    a = await seedDestination(app, 'Rennes');
  });
  afterAll(() => app?.stop());

  it('logs in and answers me with the destination and the user', async () => {
    const res = await app.gql(
      '{ me { destination { name timeZone defaultLocale } user { email role } apiKey { id } } }',
      {},
      a.admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.me).toEqual({
      destination: { name: 'Rennes', timeZone: 'Europe/Paris', defaultLocale: 'fr' },
      user: { email: a.adminEmail, role: 'ADMIN' },
      apiKey: null,
    });
  });

  it('refuses a wrong password with UNAUTHENTICATED and no token', async () => {
    const res = await app.gql(
      'mutation { login(email: "nobody@example.org", password: "wrong password") { accessToken } }',
    );
    expect(res.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(res.data).toBeNull();
  });

  it('rate limits failed logins per email with RATE_LIMITED, even with the right password then', async () => {
    const { adminEmail, password } = await seedDestination(app, 'Saint-Malo');
    const login = (pwd: string) =>
      app.gql(
        'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
        { e: adminEmail, p: pwd },
      );
    for (let i = 0; i < 3; i++)
      expect((await login('not the password')).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    const blocked = await login(password);
    expect(blocked.errors?.[0].extensions.code).toBe('RATE_LIMITED');
    expect(blocked.errors?.[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('refuses requests without credentials, and with a bad token', async () => {
    expect((await app.gql('{ me { user { id } } }')).errors?.[0].extensions.code).toBe(
      'UNAUTHENTICATED',
    );
    const bad = await app.gql('{ me { user { id } } }', {}, { authorization: 'Bearer not.a.jwt' });
    expect(bad.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('lets an ADMIN create users; other roles are FORBIDDEN', async () => {
    const created = await app.gql(
      'mutation { createUser(email: "Marketer@Example.org", password: "long enough password", role: MARKETER) { email role } }',
      {},
      a.admin,
    );
    expect(created.data.createUser).toEqual({ email: 'marketer@example.org', role: 'MARKETER' });
    const dup = await app.gql(
      'mutation { createUser(email: "marketer@example.org", password: "long enough password", role: ANALYST) { id } }',
      {},
      a.admin,
    );
    expect(dup.errors?.[0].extensions.code).toBe('CONFLICT');
    const short = await app.gql(
      'mutation { createUser(email: "x@example.org", password: "short", role: ANALYST) { id } }',
      {},
      a.admin,
    );
    expect(short.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const analyst = await a.as(Role.ANALYST);
    const refused = await app.gql(
      'mutation { createUser(email: "y@example.org", password: "long enough password", role: ADMIN) { id } }',
      {},
      analyst,
    );
    expect(refused.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const users = await app.gql('{ users { email } }', {}, a.admin);
    expect(users.data.users.map((u: { email: string }) => u.email)).toContain(
      'marketer@example.org',
    );
  });

  it('creates an API key whose secret is shown once and authenticates by x-api-key or Authorization: ApiKey', async () => {
    const res = await app.gql(
      'mutation { createApiKey(name: "Hotel Lecoq", scopes: [READ_AGGREGATES]) { secret apiKey { id name prefix scopes revokedAt } } }',
      {},
      a.admin,
    );
    const { secret, apiKey } = res.data.createApiKey;
    expect(secret.startsWith(apiKey.prefix)).toBe(true);
    expect(apiKey).toMatchObject({
      name: 'Hotel Lecoq',
      scopes: ['READ_AGGREGATES'],
      revokedAt: null,
    });
    const listed = await app.gql('{ apiKeys { id prefix lastUsedAt } }', {}, a.admin);
    expect(JSON.stringify(listed.data)).not.toContain(secret);

    const viaHeader = await app.gql(
      '{ me { apiKey { name } user { id } destination { name } } }',
      {},
      { 'x-api-key': secret },
    );
    expect(viaHeader.data.me).toEqual({
      apiKey: { name: 'Hotel Lecoq' },
      user: null,
      destination: { name: 'Rennes' },
    });
    const viaAuthorization = await app.gql(
      '{ me { apiKey { name } } }',
      {},
      { authorization: `ApiKey ${secret}` },
    );
    expect(viaAuthorization.data.me.apiKey.name).toBe('Hotel Lecoq');

    // A scope-less operation for this key: users are admin-only, keys have no scope for it.
    const forbidden = await app.gql('{ users { id } }', {}, { 'x-api-key': secret });
    expect(forbidden.errors?.[0].extensions.code).toBe('FORBIDDEN');
    // An editor-only mutation is FORBIDDEN to a READ_AGGREGATES key.
    const write = await app.gql(
      'mutation { trackSource(kind: HASHTAG, value: "Rennes") { id } }',
      {},
      { 'x-api-key': secret },
    );
    expect(write.errors?.[0].extensions.code).toBe('FORBIDDEN');

    const revoked = await app.gql(
      'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }',
      { id: apiKey.id },
      a.admin,
    );
    expect(revoked.data.revokeApiKey.revokedAt).toEqual(expect.any(String));
    const after = await app.gql('{ me { apiKey { name } } }', {}, { 'x-api-key': secret });
    expect(after.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
