import { WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

/**
 * Processors are declared with `autorun: false` and started here, only in the `worker` and `all`
 * roles; an `api` process enqueues but never processes. On the PostgreSQL backend a worker waits
 * for a NOTIFY on `bullmq_jobs` (the embedded server routes notifications between its connections,
 * see PgliteServer); drainDelay 0.5 s only shortens the fallback poll of a queue with no delayed
 * job: with one (an hourly scheduler), BullMQ waits for the NOTIFY or the next due job.
 * @nestjs/bullmq closes the workers at shutdown, and a closing worker waits for its running jobs.
 */
@Injectable()
export class WorkerRunner implements OnApplicationBootstrap {
  private readonly logger = new Logger(WorkerRunner.name);

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    const hosts = this.discovery
      .getProviders()
      .map((w) => w.instance as unknown)
      .filter((i): i is WorkerHost => i instanceof WorkerHost);
    for (const host of hosts) {
      const worker = host.worker;
      if (this.config.queueBackend === 'postgres') worker.opts.drainDelay = 0.5;
      worker
        .run()
        .catch((error: unknown) =>
          this.logger.error(`Worker ${worker.name} stopped: ${String(error)}`),
        );
    }
    this.logger.log(`Processing queues: ${hosts.map((h) => h.worker.name).join(', ')}`);
  }
}
