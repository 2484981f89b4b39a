import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DestinationEntity } from '../destinations/destination.entity.js';
import { DestinationsModule } from '../destinations/destinations.module.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import { TrackedSourceEntity } from '../destinations/tracked-source.entity.js';
import { InterestsModule } from '../interests/interests.module.js';
import { VisitorsModule } from '../visitors/visitors.module.js';
import { IdentityMetricsEntity } from './identity-metrics.entity.js';
import { IngestionStateEntity } from './ingestion-state.entity.js';
import { IngestionStatusResolver } from './ingestion-status.resolver.js';
import { InteractionPubSub } from './interaction-pubsub.js';
import { InteractionEntity } from './interaction.entity.js';
import { InteractionsResolver, VisitorInteractionsResolver } from './interactions.resolver.js';
import { InteractionsService } from './interactions.service.js';
import { SocialIngestService } from './social-ingest.service.js';
import { SocialPollProcessor, SocialPollScheduler } from './jobs/social-poll.job.js';
import { SOCIAL_INGEST, SocialPollingService } from './social-polling.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([InteractionEntity, IdentityMetricsEntity, IngestionStateEntity]),
    // X polling reads the destination's handles and hashtags, place handles, tracked sources.
    TypeOrmModule.forFeature([DestinationEntity, PlaceEntity, TrackedSourceEntity]),
    DestinationsModule,
    InterestsModule,
    VisitorsModule,
  ],
  providers: [
    // The ingest pipeline and the interactions API
    SocialIngestService,
    InteractionsService,
    InteractionPubSub,
    InteractionsResolver,
    VisitorInteractionsResolver,
    // X polling, feeding the pipeline above
    { provide: SOCIAL_INGEST, useExisting: SocialIngestService },
    SocialPollingService,
    SocialPollProcessor,
    SocialPollScheduler,
    IngestionStatusResolver,
  ],
  exports: [SocialIngestService, InteractionsService],
})
export class SocialModule {}
