import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../../modules/access/access.decorators.js';
import { MetricsService } from './metrics.service.js';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Public like /health: expose it only on the internal network (see README, "Operating"). */
  @Public()
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
