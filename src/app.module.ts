import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock } from './common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from './infra/config/config.js';
import { dataSourceOptions } from './infra/database/data-source.js';
import { AppGraphqlModule } from './infra/graphql/graphql.module.js';
import { HealthModule } from './infra/health/health.module.js';
import { LoggingModule } from './infra/logging/logging.module.js';
import { MetricsModule } from './infra/metrics/metrics.module.js';
import { QueueModule } from './infra/queue/queue.module.js';
import { AmbassadorsModule } from './modules/ambassadors/ambassadors.module.js';
import { CampaignsModule } from './modules/campaigns/campaigns.module.js';
import { MessagingModule } from './modules/messaging/messaging.module.js';
import { AccessModule } from './modules/access/access.module.js';
import { DestinationsModule } from './modules/destinations/destinations.module.js';
import { InterestsModule } from './modules/interests/interests.module.js';
import { SegmentsModule } from './modules/segments/segments.module.js';
import { SocialModule } from './modules/social/social.module.js';
import { StaysModule } from './modules/stays/stays.module.js';
import { VisitorImportModule } from './modules/visitors/visitor-import.module.js';
import { VisitorsModule } from './modules/visitors/visitors.module.js';
import { WallModule } from './modules/wall/wall.module.js';

/** The whole application for one process; `config.role` decides whether it serves GraphQL. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, extra: Array<Type | DynamicModule> = []): DynamicModule {
    if (!config.databaseUrl)
      throw new Error('AppModule needs a database URL (embedded or configured)');
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggingModule.forRoot(config),
        // In-process domain events (stay changed, visitor merged...); see each module's *.events.ts.
        EventEmitterModule.forRoot(),
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config.databaseUrl, {
            extra: { max: config.embedded ? 5 : 10, application_name: `escale-${config.role}` },
          }),
        }),
        QueueModule.forRoot(config),
        MetricsModule,
        HealthModule,
        ...(config.role === 'worker' ? [] : [AppGraphqlModule.forRoot(config)]),
        AccessModule,
        DestinationsModule,
        InterestsModule,
        VisitorsModule,
        SegmentsModule,
        VisitorImportModule,
        StaysModule,
        SocialModule,
        WallModule.forRoot(config),
        AmbassadorsModule,
        MessagingModule,
        CampaignsModule,
        ...extra,
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, Clock],
      exports: [APP_CONFIG, Clock],
    };
  }
}
