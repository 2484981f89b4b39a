import { Module } from '@nestjs/common';
import { VisitorsModule } from '../visitors/visitors.module.js';
import { VisitorsQueryResolver } from './visitors-query.resolver.js';

@Module({
  imports: [VisitorsModule],
  providers: [VisitorsQueryResolver],
})
export class SegmentsModule {}
