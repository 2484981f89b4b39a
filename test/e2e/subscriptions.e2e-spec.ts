import { Module } from '@nestjs/common';
import { Resolver, Subscription } from '@nestjs/graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Authenticated } from '../../src/modules/access/access.decorators.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

/** A test-only subscription: three ticks, to prove graphql-ws and its authentication end to end. */
@Authenticated()
@Resolver()
class TickResolver {
  @Subscription(() => String)
  async *platformTicks() {
    for (let i = 1; i <= 3; i++) yield { platformTicks: `tick ${i}` };
  }
}

@Module({ providers: [TickResolver] })
class TickModule {}

describe('subscriptions over graphql-ws (e2e)', () => {
  let app: TestApp;
  let url: string;
  let admin: { authorization: string };
  const clients: Client[] = [];

  beforeAll(async () => {
    app = await startTestApp({ imports: [TickModule] });
    admin = (await seedDestination(app)).admin;
    await app.runtime.app.listen(0, '127.0.0.1');
    const { port } = app.runtime.app.getHttpServer().address() as { port: number };
    url = `ws://127.0.0.1:${port}/graphql`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await app?.stop();
  });

  function subscribe(connectionParams: Record<string, string>) {
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return new Promise<{ values: string[]; errors: unknown[] }>((resolve) => {
      const values: string[] = [];
      const errors: unknown[] = [];
      client.subscribe<{ platformTicks: string }>(
        { query: 'subscription { platformTicks }' },
        {
          next: (msg) => {
            if (msg.data) values.push(msg.data.platformTicks);
            if (msg.errors) errors.push(...msg.errors);
          },
          error: (e) => {
            errors.push(e);
            resolve({ values, errors });
          },
          complete: () => resolve({ values, errors }),
        },
      );
    });
  }

  it('streams to a caller authenticated by connection params, on the same port and path', async () => {
    const result = await subscribe({ Authorization: admin.authorization });
    expect(result.errors).toEqual([]);
    expect(result.values).toEqual(['tick 1', 'tick 2', 'tick 3']);
  });

  it('refuses a subscription without credentials', async () => {
    const result = await subscribe({});
    expect(result.values).toEqual([]);
    expect(JSON.stringify(result.errors)).toContain('UNAUTHENTICATED');
  });
});
