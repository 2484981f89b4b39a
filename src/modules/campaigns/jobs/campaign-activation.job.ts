import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { QueueName } from '../../../infra/queue/queue.constants.js';
import {
  CampaignJob,
  CampaignScheduler,
  type ActivateChunkData,
} from '../campaign-scheduler.service.js';

/**
 * Activation scans, one chunk of visitors per job. Each chunk enqueues the next with an id derived
 * from its last visitor, so a retried chunk neither skips nor duplicates (its INSERT ignores rows
 * already written).
 */
@Processor(QueueName.CAMPAIGNS, { autorun: false, concurrency: 2 })
export class CampaignActivationProcessor extends WorkerHost {
  constructor(private readonly scheduler: CampaignScheduler) {
    super();
  }

  async process(job: Job) {
    switch (job.name as CampaignJob) {
      case CampaignJob.ACTIVATE_CHUNK:
        return this.scheduler.activateChunk(job.data as ActivateChunkData);
      default:
        // A job nobody handles is a deployment error: fail loudly, never drop it silently.
        throw new Error(`${QueueName.CAMPAIGNS}: no handler for job ${job.name}`);
    }
  }
}
