import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DestinationsModule } from '../destinations/destinations.module.js';
import { SegmentEntity } from './segment.entity.js';
import { SegmentsResolver } from './segments.resolver.js';
import { SegmentsService } from './segments.service.js';
import { VisitorsQueryResolver } from './visitors-query.resolver.js';

/**
 * Segments: the filter language compiled to one SQL query (segment-filter.compiler.ts), live
 * counts, pages, previews, protected audience insights (audience-insights.policy.ts), saved
 * segments, and `visitors(filter)`. Exports SegmentsService for campaigns.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SegmentEntity]), DestinationsModule],
  providers: [SegmentsService, SegmentsResolver, VisitorsQueryResolver],
  exports: [SegmentsService],
})
export class SegmentsModule {}
