import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DestinationsModule } from '../destinations/destinations.module.js';
import { InterestEntity } from './interest.entity.js';
import { InterestsResolver, PlaceInterestsResolver } from './interests.resolver.js';
import { InterestsService } from './interests.service.js';
import { PlaceInterestEntity } from './place-interest.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([InterestEntity, PlaceInterestEntity]), DestinationsModule],
  providers: [InterestsService, InterestsResolver, PlaceInterestsResolver],
  exports: [InterestsService],
})
export class InterestsModule {}
