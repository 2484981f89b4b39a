import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DestinationsModule } from '../destinations/destinations.module.js';
import { InterestEvidenceEntity } from './interest-evidence.entity.js';
import { InterestInferenceService } from './interest-inference.service.js';
import { InterestScoresService } from './interest-scores.service.js';
import { InterestEntity } from './interest.entity.js';
import { InterestsResolver, PlaceInterestsResolver } from './interests.resolver.js';
import { InterestsService } from './interests.service.js';
import { InterestScoresProcessor, InterestScoresScheduler } from './jobs/interest-scores.job.js';
import { PlaceInterestEntity } from './place-interest.entity.js';
import { TaxonomySeeder } from './taxonomy-seeder.js';
import { VisitorInterestEntity } from './visitor-interest.entity.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      InterestEntity,
      PlaceInterestEntity,
      InterestEvidenceEntity,
      VisitorInterestEntity,
    ]),
    DestinationsModule,
  ],
  providers: [
    InterestsService,
    InterestScoresService,
    InterestInferenceService,
    TaxonomySeeder,
    InterestsResolver,
    PlaceInterestsResolver,
    InterestScoresProcessor,
    InterestScoresScheduler,
  ],
  exports: [InterestsService, InterestScoresService, InterestInferenceService],
})
export class InterestsModule {}
