import { jest } from '@jest/globals';
import { Logger, Module } from '@nestjs/common';
import {
  Args,
  Field,
  Int,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { DateTimeScalar, DurationScalar } from '../../src/common/scalars/scalars.js';
import {
  MAX_QUERY_COMPLEXITY,
  MAX_QUERY_DEPTH,
} from '../../src/infra/graphql/complexity.plugin.js';
import { Authenticated } from '../../src/modules/access/access.decorators.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

// ---------------------------------------------------------------------------------------------
// Test-only schema: an operation that forgets its access rule, scalar echoes, a recursive type.
// ---------------------------------------------------------------------------------------------

@ObjectType('PlatformEcho')
class PlatformEcho {
  @Field(() => DurationScalar)
  offset: string;

  @Field(() => DateTimeScalar)
  at: Date;
}

@ObjectType('PlatformNode')
class PlatformNode {
  @Field(() => Int)
  depth: number;
}

/** No access decorator at all: the deny-by-default guard must refuse it to everyone. */
@Resolver()
class PlatformUndeclaredResolver {
  @Query(() => String)
  platformUndeclared(): string {
    return 'should never be answered';
  }
}

@Authenticated()
@Resolver()
class PlatformResolver {
  @Query(() => PlatformEcho)
  platformEcho(
    @Args('offset', { type: () => DurationScalar }) offset: string,
    @Args('at', { type: () => DateTimeScalar }) at: Date,
  ): PlatformEcho {
    return { offset, at };
  }

  @Query(() => String)
  platformBoom(): string {
    throw new Error('secret internals: password=hunter2 at db.internal:5432');
  }

  @Query(() => PlatformNode)
  platformNode(): PlatformNode {
    return { depth: 0 };
  }
}

@Authenticated()
@Resolver(() => PlatformNode)
class PlatformNodeResolver {
  @ResolveField(() => PlatformNode, { nullable: true })
  child(@Parent() node: PlatformNode): PlatformNode {
    return { depth: node.depth + 1 };
  }

  @ResolveField(() => [PlatformNode], {
    complexity: ({ args, childComplexity }) => (args.first ?? 10) * childComplexity,
  })
  children(
    @Parent() node: PlatformNode,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
  ): PlatformNode[] {
    return Array.from({ length: Math.min(first ?? 10, 3) }, () => ({ depth: node.depth + 1 }));
  }
}

@Module({ providers: [PlatformUndeclaredResolver, PlatformResolver, PlatformNodeResolver] })
class PlatformTestModule {}

/** `{ platformNode { <field> { <field> ... depth } } }`, `levels` nested fields deep. */
const nested = (levels: number, field: string) =>
  `{ platformNode { ${`${field} { `.repeat(levels)}depth${' }'.repeat(levels)} } }`;

describe('platform (e2e)', () => {
  let app: TestApp;
  let admin: Record<string, string>;

  beforeAll(async () => {
    app = await startTestApp({ imports: [PlatformTestModule] });
    admin = (await seedDestination(app, 'Quimper')).admin;
  });
  afterAll(() => app?.stop());

  describe('access', () => {
    it('refuses an operation without an access rule with FORBIDDEN, even to an ADMIN', async () => {
      const res = await app.gql('{ platformUndeclared }', {}, admin);
      expect(res.errors?.[0].extensions.code).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
      const anonymous = await app.gql('{ platformUndeclared }');
      expect(anonymous.errors?.[0].extensions.code).toBe('FORBIDDEN');
    });

    it('asks for credentials on an @Authenticated operation', async () => {
      const res = await app.gql('{ platformNode { depth } }');
      expect(res.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('scalars', () => {
    const ECHO =
      'query($o: Duration!, $a: DateTime!) { platformEcho(offset: $o, at: $a) { offset at } }';
    const inline = (offset: string, at: string) =>
      `{ platformEcho(offset: ${JSON.stringify(offset)}, at: ${JSON.stringify(at)}) { offset at } }`;

    it.each([
      ['-P7D', '2026-05-01T10:00:00Z', '2026-05-01T10:00:00.000Z'],
      ['PT2H30M', '2026-05-01T12:00:00+02:00', '2026-05-01T10:00:00.000Z'],
    ])('echoes the Duration %s and the DateTime %s', async (offset, at, instant) => {
      for (const res of [
        await app.gql(inline(offset, at), {}, admin),
        await app.gql(ECHO, { o: offset, a: at }, admin),
      ]) {
        expect(res.errors).toBeUndefined();
        expect(res.data.platformEcho).toEqual({ offset, at: instant });
      }
    });

    it.each(['P', '7 days', '-P7X'])(
      'refuses the Duration %p with BAD_USER_INPUT, inline and as a variable',
      async (offset) => {
        const literal = await app.gql(inline(offset, '2026-05-01T10:00:00Z'), {}, admin);
        expect(literal.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
        expect(literal.status).toBe(400);
        const variable = await app.gql(ECHO, { o: offset, a: '2026-05-01T10:00:00Z' }, admin);
        expect(variable.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
        expect(variable.errors?.[0].message).toContain('$o');
        expect(variable.status).toBe(400);
      },
    );

    it.each(['2026-13-01', 'yesterday', '2026-05-01'])(
      'refuses the DateTime %p with BAD_USER_INPUT, inline and as a variable',
      async (at) => {
        const literal = await app.gql(inline('P1D', at), {}, admin);
        expect(literal.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
        const variable = await app.gql(ECHO, { o: 'P1D', a: at }, admin);
        expect(variable.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      },
    );
  });

  describe('query cost limits', () => {
    it(`answers a query ${MAX_QUERY_DEPTH - 2} levels deep`, async () => {
      const res = await app.gql(nested(MAX_QUERY_DEPTH - 2, 'child'), {}, admin);
      expect(res.errors).toBeUndefined();
      expect(JSON.stringify(res.data)).toContain(`"depth":${MAX_QUERY_DEPTH - 2}`);
    });

    it(`refuses a query deeper than ${MAX_QUERY_DEPTH} levels with BAD_USER_INPUT`, async () => {
      const res = await app.gql(nested(MAX_QUERY_DEPTH + 2, 'child'), {}, admin);
      expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message).toMatch(/depth/i);
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
    });

    it('answers a list query of reasonable cost', async () => {
      const res = await app.gql(
        '{ platformNode { children(first: 5) { children(first: 5) { depth } } } }',
        {},
        admin,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data.platformNode.children[0].children[0].depth).toBe(2);
    });

    it(`refuses a query costing more than ${MAX_QUERY_COMPLEXITY} with BAD_USER_INPUT`, async () => {
      const res = await app.gql(
        '{ platformNode { children(first: 100) { children(first: 100) { children(first: 100) { depth } } } } }',
        {},
        admin,
      );
      expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message).toMatch(/complex/i);
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
    });

    it('counts a list cost from variables too', async () => {
      const res = await app.gql(
        'query($n: Int) { platformNode { children(first: $n) { children(first: $n) { children(first: $n) { depth } } } } }',
        { n: 100 },
        admin,
      );
      expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message).toMatch(/complex/i);
    });
  });

  describe('errors', () => {
    it('never leaks an unexpected error: INTERNAL_SERVER_ERROR, a generic message, no stack', async () => {
      const res = await app.gql('{ platformBoom }', {}, admin);
      expect(res.errors).toHaveLength(1);
      expect(res.errors?.[0].message).toBe('Internal server error');
      expect(res.errors?.[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
      expect(JSON.stringify(res)).not.toMatch(/hunter2|stacktrace|\.ts:\d+/);
    });

    it('logs an unexpected error exactly once, and a coded error not as an error', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        await app.gql('{ platformBoom }', {}, admin);
        expect(logged).toHaveBeenCalledTimes(1);
        logged.mockClear();
        const refused = await app.gql('{ platformUndeclared }', {}, admin);
        expect(refused.errors?.[0].extensions.code).toBe('FORBIDDEN');
        expect(logged).not.toHaveBeenCalled();
      } finally {
        logged.mockRestore();
      }
    });

    it('reports a malformed query as BAD_USER_INPUT', async () => {
      const syntax = await app.gql('{ platformNode { ', {}, admin);
      expect(syntax.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      const unknown = await app.gql('{ platformNope }', {}, admin);
      expect(unknown.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('HTTP', () => {
    it('refuses a simple (CSRF-able) POST /graphql with 400', async () => {
      const res = await app
        .http()
        .post('/graphql')
        .set('content-type', 'text/plain')
        .send(JSON.stringify({ query: '{ __typename }' }));
      expect(res.status).toBe(400);
      expect(res.text).not.toContain('__typename');
    });

    it('refuses a GET query without a preflight header with 400', async () => {
      const res = await app.http().get('/graphql').query({ query: '{ __typename }' });
      expect(res.status).toBe(400);
    });

    it('answers GET /health with the database and the queue up', async () => {
      const res = await app.http().get('/health');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
      expect(res.body.info).toMatchObject({
        database: { status: 'up' },
        queue: { status: 'up', backend: 'redis' },
      });
    });

    it('exposes Prometheus metrics on GET /metrics', async () => {
      await app.gql('query Probe { platformNode { depth } }', {}, admin);
      const res = await app.http().get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toContain('escale_http_request_duration_seconds');
      expect(res.text).toMatch(
        /escale_graphql_operations_total\{type="query",name="Probe",outcome="ok"\} 1/,
      );
      expect(res.text).toMatch(/escale_queue_jobs\{queue="[^"]+",state="waiting"\} \d+/);
    });

    it('serves the GraphQL explorer to browsers with local assets only', async () => {
      const page = await app.http().get('/graphql').set('accept', 'text/html');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('GraphiQL');
      const urls = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls) expect(url).toMatch(/^\/graphiql\//);
      expect(page.text).not.toMatch(/<script[^>]+src="(https?:)?\/\//);

      for (const url of urls) {
        const asset = await app.http().get(url);
        expect(asset.status).toBe(200);
      }
      const js = await app.http().get('/graphiql/graphiql.js');
      expect(js.status).toBe(200);
      expect(js.headers['content-type']).toMatch(/javascript/);
      expect(js.text.length).toBeGreaterThan(1000);
      expect((await app.http().get('/graphiql/nope.js')).status).toBe(404);
    });

    it('does not serve the explorer to API clients', async () => {
      const res = await app
        .http()
        .get('/graphql')
        .set('accept', 'application/json')
        .set('apollo-require-preflight', 'true')
        .query({ query: '{ __typename }' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { __typename: 'Query' } });
    });

    it('answers every request with an x-request-id, echoing a well-formed incoming one', async () => {
      const health = await app.http().get('/health');
      expect(health.headers['x-request-id']).toMatch(/^[\w-]{8,}$/);
      const graphql = await app
        .http()
        .post('/graphql')
        .set('content-type', 'application/json')
        .set('x-request-id', 'trace-42')
        .send({ query: '{ __typename }' });
      expect(graphql.headers['x-request-id']).toBe('trace-42');
      const hostile = await app.http().get('/health').set('x-request-id', 'bad id <script>');
      expect(hostile.headers['x-request-id']).not.toContain('<script>');
    });
  });
});
