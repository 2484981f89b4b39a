import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../../infra/config/config.js';
import { SocialModule } from '../social/social.module.js';
import { WallController } from './wall.controller.js';
import { WallNotifier } from './wall-notifier.js';
import { WallPubSub } from './wall-pubsub.js';
import { WallResolver } from './wall.resolver.js';
import { WallService } from './wall.service.js';

/**
 * The showroom wall. Every role needs the service (workers ingest, so they apply the blocklist);
 * only processes that serve HTTP mount the public page.
 */
@Module({})
export class WallModule {
  static forRoot(config: Pick<AppConfig, 'role'>): DynamicModule {
    return {
      module: WallModule,
      imports: [SocialModule],
      providers: [WallService, WallPubSub, WallNotifier, WallResolver],
      controllers: config.role === 'worker' ? [] : [WallController],
      exports: [WallService],
    };
  }
}
