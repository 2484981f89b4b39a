import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../../infra/config/config.js';
import { AccessResolver } from './access.resolver.js';
import { AccessService } from './access.service.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { AuthGuard } from './auth.guard.js';
import {
  AccessMaintenanceProcessor,
  AccessMaintenanceScheduler,
} from './jobs/access-maintenance.job.js';
import { LoginRateLimiter } from './login-rate-limiter.js';
import { UserEntity } from './user.entity.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity, ApiKeyEntity]),
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        if (!config.jwtSecret) throw new Error('JWT secret missing: loadRuntime() sets it');
        return {
          secret: config.jwtSecret,
          signOptions: { algorithm: 'HS256', issuer: 'escale' },
          verifyOptions: { algorithms: ['HS256'], issuer: 'escale' },
        };
      },
    }),
  ],
  providers: [
    AccessService,
    LoginRateLimiter,
    AccessResolver,
    AccessMaintenanceProcessor,
    AccessMaintenanceScheduler,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AccessService],
})
export class AccessModule {}
