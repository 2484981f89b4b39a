import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InterestsModule } from '../interests/interests.module.js';
import { ConsentEntity } from './consent.entity.js';
import { SocialIdentityEntity } from './social-identity.entity.js';
import { SuppressionEntity } from './suppression.entity.js';
import { SuppressionService } from './suppression.service.js';
import { VisitorLifecycleResolver } from './visitor-lifecycle.resolver.js';
import { VisitorMergeService } from './visitor-merge.service.js';
import { VisitorPrivacyService } from './visitor-privacy.service.js';
import { VisitorRecordEntity } from './visitor-record.entity.js';
import { VisitorEntity } from './visitor.entity.js';
import { SocialIdentityResolver, VisitorsResolver } from './visitors.resolver.js';
import { VisitorsService } from './visitors.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      VisitorEntity,
      SocialIdentityEntity,
      ConsentEntity,
      VisitorRecordEntity,
      SuppressionEntity,
    ]),
    InterestsModule,
  ],
  providers: [
    VisitorsService,
    SuppressionService,
    VisitorsResolver,
    SocialIdentityResolver,
    VisitorMergeService,
    VisitorPrivacyService,
    VisitorLifecycleResolver,
  ],
  exports: [VisitorsService, SuppressionService],
})
export class VisitorsModule {}
