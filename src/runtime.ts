import 'reflect-metadata';
import {
  ValidationPipe,
  type DynamicModule,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import type { AppConfig } from './infra/config/config.js';
import { createDataSource, runMigrations } from './infra/database/data-source.js';
import {
  embeddedBanner,
  embeddedJwtSecret,
  startEmbeddedDatabase,
  type EmbeddedDatabase,
} from './infra/embedded/embedded.js';
import { graphiqlMiddleware } from './infra/graphql/graphiql.js';
import { MetricsService } from './infra/metrics/metrics.service.js';
import { ALL_QUEUES } from './infra/queue/queue.constants.js';
import {
  bootstrapFirstDestination,
  type BootstrapResult,
} from './modules/destinations/bootstrap.js';
import { DestinationsService } from './modules/destinations/destinations.service.js';

/** Request bodies: room for a 10 MB CSV import once JSON-escaped. */
export const JSON_BODY_LIMIT = '24mb';

export interface Runtime {
  app: INestApplication;
  config: AppConfig;
  bootstrap?: BootstrapResult;
  /** Graceful: stops taking requests, lets running jobs finish, closes connections, then the embedded DB. */
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  /** Log with Nest's plain logger instead of pino (CLI, tests). */
  quiet?: boolean;
  log?: (message: string) => void;
  /** Skip the first-boot destination (the CLI creates its own). */
  skipBootstrap?: boolean;
  /** Extra modules for this process (test-only resolvers). */
  imports?: Array<Type | DynamicModule>;
}

/**
 * Everything a process needs before it can serve: the embedded database when DATABASE_URL is not
 * set, migrations (advisory-locked, unless MIGRATIONS=skip), the Nest application, and the
 * first-boot destination. Used by main.ts, the CLI and the tests, so they all boot the same way.
 */
export async function createRuntime(
  base: AppConfig,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const log = options.log ?? ((m: string) => console.log(m));
  let embedded: EmbeddedDatabase | undefined;
  let config = base;
  if (base.embedded) {
    embedded = await startEmbeddedDatabase(base.dataDir);
    config = {
      ...base,
      databaseUrl: embedded.url,
      jwtSecret: base.jwtSecret ?? embeddedJwtSecret(base.dataDir),
    };
  }
  try {
    if (config.runMigrations) {
      const dataSource = createDataSource(config.databaseUrl!, { extra: { max: 2 } });
      await dataSource.initialize();
      try {
        const applied = await runMigrations(dataSource);
        if (applied.length) log(`Applied migrations: ${applied.join(', ')}`);
      } finally {
        await dataSource.destroy();
      }
    }
    const app = await NestFactory.create(AppModule.forRoot(config, options.imports), {
      bufferLogs: !options.quiet,
      logger: options.quiet ? ['error', 'warn'] : undefined,
    });
    if (!options.quiet) app.useLogger(app.get(PinoNestLogger));
    // Express' default (100 kB) would refuse importVisitors' CSV, up to 10 MB and JSON-escaped,
    // before the resolver could answer with the limit.
    (app as NestExpressApplication).useBodyParser('json', { limit: JSON_BODY_LIMIT });
    // Shape limits declared with class-validator on input classes; domain rules live in services.
    app.useGlobalPipes(new ValidationPipe({ transform: true, forbidUnknownValues: false }));
    const metrics = app.get(MetricsService);
    app.use(metrics.httpMiddleware());
    app.use(graphiqlMiddleware);
    for (const name of ALL_QUEUES) metrics.watchQueue(app.get<Queue>(getQueueToken(name)));
    await app.init();

    const bootstrap =
      config.role === 'worker' || options.skipBootstrap
        ? undefined
        : await bootstrapFirstDestination(app.get(DestinationsService), config);
    return {
      app,
      config,
      bootstrap,
      async stop() {
        await app.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

export function describeStart(runtime: Runtime, url: string): string {
  const lines: string[] = [];
  if (runtime.config.embedded) lines.push(embeddedBanner(runtime.config));
  if (runtime.config.role !== 'worker')
    lines.push(`GraphQL explorer: ${url}/graphql  ·  health: ${url}/health`);
  const b = runtime.bootstrap;
  if (b) {
    lines.push(`Created destination "${b.destination}" with the admin ${b.adminEmail}.`);
    if (b.generatedPassword) {
      lines.push(`Admin password (shown once, keep it): ${b.generatedPassword}`);
    }
  }
  return lines.join('\n');
}
