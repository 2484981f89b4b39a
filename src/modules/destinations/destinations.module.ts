import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DestinationEntity } from './destination.entity.js';
import { DestinationsResolver, ViewerDestinationResolver } from './destinations.resolver.js';
import { DestinationsService } from './destinations.service.js';
import { PlaceEntity } from './place.entity.js';
import { TrackedSourceEntity } from './tracked-source.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([DestinationEntity, PlaceEntity, TrackedSourceEntity])],
  providers: [DestinationsService, DestinationsResolver, ViewerDestinationResolver],
  exports: [DestinationsService],
})
export class DestinationsModule {}
