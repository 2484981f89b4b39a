import { BullModule } from '@nestjs/bullmq';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { createPostgresBackend, setDefaultBackendFactory } from 'bullmq';
import type { AppConfig } from '../config/config.js';
import { ALL_QUEUES, DEFAULT_JOB_OPTIONS } from './queue.constants.js';
import { WorkerRunner } from './worker-runner.js';

/** The schema that holds BullMQ's tables on the PostgreSQL backend. */
export const BULLMQ_SCHEMA = 'bullmq';

/**
 * BullMQ on Redis (default for production) or on PostgreSQL (QUEUE_BACKEND=postgres, and the
 * embedded mode). @nestjs/bullmq has no backend option, so the process-wide default factory is
 * switched before any queue is built.
 */
@Global()
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig): DynamicModule {
    let connection: Record<string, unknown>;
    if (config.queueBackend === 'postgres') {
      setDefaultBackendFactory(createPostgresBackend);
      connection = {
        connectionString: config.databaseUrl,
        schema: BULLMQ_SCHEMA,
        migrate: true,
        max: 5,
      };
    } else {
      setDefaultBackendFactory(undefined);
      connection = { url: config.redisUrl, maxRetriesPerRequest: null };
    }
    return {
      module: QueueModule,
      imports: [
        DiscoveryModule,
        BullModule.forRoot({
          connection: connection as never,
          prefix: config.queuePrefix,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
        }),
        BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
      ],
      providers: [WorkerRunner],
      exports: [BullModule],
    };
  }
}
