import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock } from './common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from './infra/config/config.js';
import { dataSourceOptions } from './infra/database/data-source.js';
import { AppGraphqlModule } from './infra/graphql/graphql.module.js';
import { HealthModule } from './infra/health/health.module.js';
import { LoggingModule } from './infra/logging/logging.module.js';
import { MetricsModule } from './infra/metrics/metrics.module.js';
import { QueueModule } from './infra/queue/queue.module.js';
import { AccessModule } from './modules/access/access.module.js';
import { DestinationsModule } from './modules/destinations/destinations.module.js';
import { InterestsModule } from './modules/interests/interests.module.js';

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
        ...extra,
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, Clock],
      exports: [APP_CONFIG, Clock],
    };
  }
}
