import { randomBytes } from 'node:crypto';
import type { DynamicModule, Type } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import request from 'supertest';
import { ALL_QUEUES } from '../../src/infra/queue/queue.constants.js';
import { loadConfig } from '../../src/infra/config/config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { Role } from '../../src/modules/access/user.entity.js';
import { DestinationsService } from '../../src/modules/destinations/destinations.service.js';
import { AccessService } from '../../src/modules/access/access.service.js';
import { createTestDatabase, REDIS_URL } from './database.js';

export interface TestApp {
  runtime: Runtime;
  databaseUrl: string;
  http(): ReturnType<typeof request>;
  /** POST /graphql; returns the parsed body ({ data, errors }). */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{
    data: T;
    errors?: { message: string; extensions: Record<string, any> }[];
    status: number;
  }>;
  /** Runs `query` and fails the test with the errors when there are any; returns `data`. */
  ok<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<T>;
  /** Runs `query`, expects exactly one error and returns it. */
  fails(
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<{ message: string; extensions: Record<string, any> }>;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  queueBackend?: 'redis' | 'postgres';
  env?: Record<string, string>;
  /** Extra modules (test-only resolvers and the like). */
  imports?: Array<Type | DynamicModule>;
}

/** Boots the real application on its own fresh, migrated database and its own queue namespace. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const backend = options.queueBackend ?? 'redis';
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: backend === 'redis' ? REDIS_URL : '',
    QUEUE_BACKEND: backend,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ESCALE_QUEUE_PREFIX: `escale-test-${db.name}`,
    MIGRATIONS: 'skip',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const runtime = await createRuntime(config, {
    quiet: true,
    log: () => undefined,
    imports: options.imports,
  });
  const server = runtime.app.getHttpServer();
  const testApp: TestApp = {
    runtime,
    databaseUrl: db.url,
    http: () => request(server),
    async gql(query, variables, headers = {}) {
      const res = await request(server)
        .post('/graphql')
        .set('content-type', 'application/json')
        .set(headers)
        .send({ query, variables });
      return { ...res.body, status: res.status };
    },
    async ok<T>(
      query: string,
      variables: Record<string, unknown>,
      headers: Record<string, string>,
    ) {
      const res = await testApp.gql<T>(query, variables, headers);
      expect(res.errors).toBeUndefined();
      return res.data;
    },
    async fails(query, variables, headers) {
      const res = await testApp.gql(query, variables, headers);
      expect(res.errors).toHaveLength(1);
      return res.errors![0];
    },
    async stop() {
      // Leave nothing behind in the shared Redis: this file's queues go with its database.
      // (On the PostgreSQL backend the queues live in the database, dropped below.)
      if (backend === 'redis') {
        await Promise.all(
          ALL_QUEUES.map((name) =>
            runtime.app.get<Queue>(getQueueToken(name)).obliterate({ force: true }),
          ),
        );
      }
      await runtime.stop();
      await db.drop();
    },
  };
  return testApp;
}

let counter = 0;
/** A destination with an ADMIN; returns its id and a bearer header for that admin. */
export async function seedDestination(app: TestApp, name = `Destination ${++counter}`) {
  const destinations = app.runtime.app.get(DestinationsService);
  const access = app.runtime.app.get(AccessService);
  const adminEmail = `admin-${randomBytes(4).toString('hex')}@example.org`;
  const password = 'correct horse battery staple';
  const { destination } = await destinations.createDestination({
    name,
    adminEmail,
    adminPassword: password,
  });
  const auth = async (email: string, pwd: string) => {
    const res = await app.gql<{ login: { accessToken: string } }>(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
      { e: email, p: pwd },
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return { authorization: `Bearer ${res.data.login.accessToken}` };
  };
  const admin = await auth(adminEmail, password);
  return {
    destination,
    adminEmail,
    password,
    admin,
    /** Creates a user with `role` in this destination and returns its bearer header. */
    async as(role: Role) {
      const email = `${role.toLowerCase()}-${randomBytes(4).toString('hex')}@example.org`;
      await access.createUserIn(destination.id, email, password, role);
      return auth(email, password);
    },
  };
}
