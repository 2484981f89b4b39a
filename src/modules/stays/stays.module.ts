import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DestinationsModule } from '../destinations/destinations.module.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import { InterestsModule } from '../interests/interests.module.js';
import { VisitorsModule } from '../visitors/visitors.module.js';
import { StayEntity } from './stay.entity.js';
import { StaysVisitorListener } from './stays.listeners.js';
import { StaysResolver, VisitorStaysResolver } from './stays.resolver.js';
import { StaysService } from './stays.service.js';

/**
 * Stays (bookings), `upsertStay` / `cancelStay`, `Visitor.stays` and `Visitor.phase`. Exports
 * StaysService (phase parameters, batched reads) for segments and campaigns; the SQL helpers
 * `phaseSql` / `stayOverlapsSql` are plain functions in journey-phase.ts; events in stay.events.ts.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([StayEntity, PlaceEntity]),
    VisitorsModule,
    DestinationsModule,
    InterestsModule,
  ],
  providers: [StaysService, StaysResolver, VisitorStaysResolver, StaysVisitorListener],
  exports: [StaysService],
})
export class StaysModule {}
