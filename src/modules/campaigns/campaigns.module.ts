import { Module } from '@nestjs/common';
import { MessagesResolver, VisitorMessagesResolver } from '../messaging/messages.resolver.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { SegmentsModule } from '../segments/segments.module.js';
import { StaysModule } from '../stays/stays.module.js';
import { VisitorsModule } from '../visitors/visitors.module.js';
import { CampaignScheduler } from './campaign-scheduler.service.js';
import { CampaignsListeners } from './campaigns.listeners.js';
import { CampaignsResolver } from './campaigns.resolver.js';
import { CampaignsService } from './campaigns.service.js';
import { CampaignActivationProcessor } from './jobs/campaign-activation.job.js';

@Module({
  imports: [SegmentsModule, StaysModule, VisitorsModule, MessagingModule],
  providers: [
    CampaignsService,
    CampaignScheduler,
    CampaignActivationProcessor,
    CampaignsListeners,
    CampaignsResolver,
    MessagesResolver,
    VisitorMessagesResolver,
  ],
  exports: [CampaignsService, CampaignScheduler],
})
export class CampaignsModule {}
