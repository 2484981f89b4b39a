import { Module } from '@nestjs/common';
import { InterestsModule } from '../interests/interests.module.js';
import { VisitorImportResolver } from './visitor-import.resolver.js';
import { VisitorImportService } from './visitor-import.service.js';
import { VisitorsModule } from './visitors.module.js';

/** `importVisitors`: the CSV import, on top of the visitors module (its suppression list). */
@Module({
  imports: [VisitorsModule, InterestsModule],
  providers: [VisitorImportService, VisitorImportResolver],
  exports: [VisitorImportService],
})
export class VisitorImportModule {}
