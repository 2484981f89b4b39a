import type { ApolloServerPlugin } from '@apollo/server';
import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface QueueDepthSource {
  name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

/** Prometheus metrics, one registry per app instance (tests boot several apps in one process). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly queues: QueueDepthSource[] = [];

  private readonly httpDuration = new Histogram({
    name: 'escale_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly graphqlOperations = new Counter({
    name: 'escale_graphql_operations_total',
    help: 'GraphQL operations by type, name and outcome',
    labelNames: ['type', 'name', 'outcome'],
    registers: [this.registry],
  });

  private readonly graphqlDuration = new Histogram({
    name: 'escale_graphql_operation_duration_seconds',
    help: 'GraphQL operation duration by type and name',
    labelNames: ['type', 'name'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'escale_' });
    const queues = this.queues;
    new Gauge({
      name: 'escale_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          queues.map(async (q) => {
            const counts = await q.getJobCounts(
              'waiting',
              'active',
              'delayed',
              'failed',
              'completed',
              'prioritized',
              'paused',
            );
            for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
          }),
        );
      },
    });
  }

  watchQueue(queue: QueueDepthSource): void {
    this.queues.push(queue);
  }

  httpMiddleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const end = this.httpDuration.startTimer();
      res.on('finish', () => {
        // The matched route keeps label cardinality bounded; unmatched paths are grouped.
        const route =
          (req.route?.path as string | undefined) ??
          (req.path === '/graphql' ? '/graphql' : 'other');
        end({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }

  graphqlPlugin(): ApolloServerPlugin {
    const operations = this.graphqlOperations;
    const duration = this.graphqlDuration;
    return {
      async requestDidStart() {
        const started = process.hrtime.bigint();
        return {
          async willSendResponse({ operation, operationName, errors }) {
            const type = operation?.operation ?? 'unknown';
            const name = operationName ?? 'anonymous';
            operations.inc({ type, name, outcome: errors?.length ? 'error' : 'ok' });
            duration.observe({ type, name }, Number(process.hrtime.bigint() - started) / 1e9);
          },
        };
      },
    };
  }
}
