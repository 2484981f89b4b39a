import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SocialModule } from '../social/social.module.js';
import { VisitorsModule } from '../visitors/visitors.module.js';
import { AmbassadorChangeEntity } from './ambassador-change.entity.js';
import { AmbassadorPubSub } from './ambassador-pubsub.js';
import { AmbassadorScoreEntity } from './ambassador-score.entity.js';
import { AmbassadorScoresService } from './ambassador-scores.service.js';
import { AmbassadorSettingsEntity } from './ambassador-settings.entity.js';
import {
  AmbassadorChangeResolver,
  AmbassadorsResolver,
  VisitorAmbassadorResolver,
} from './ambassadors.resolver.js';
import { AmbassadorsListener } from './ambassadors.listeners.js';
import { DerbyService } from './derby.service.js';
import {
  AmbassadorScoresProcessor,
  AmbassadorScoresScheduler,
} from './jobs/ambassador-scores.job.js';

/** Ambassador scores, tiers, history and promotions; the Social Derby. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      AmbassadorScoreEntity,
      AmbassadorChangeEntity,
      AmbassadorSettingsEntity,
    ]),
    SocialModule,
    VisitorsModule,
  ],
  providers: [
    AmbassadorScoresService,
    DerbyService,
    AmbassadorPubSub,
    AmbassadorsResolver,
    AmbassadorChangeResolver,
    VisitorAmbassadorResolver,
    AmbassadorsListener,
    AmbassadorScoresProcessor,
    AmbassadorScoresScheduler,
  ],
  exports: [AmbassadorScoresService, DerbyService],
})
export class AmbassadorsModule {}
