import { Mutation, Query, Resolver } from '@nestjs/graphql';
import { Allow, ALL_ROLES, ALL_SCOPES, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { IngestionStatus } from './ingestion-status.models.js';
import { SocialPollingService } from './social-polling.service.js';

@Resolver(() => IngestionStatus)
export class IngestionStatusResolver {
  constructor(private readonly polling: SocialPollingService) {}

  @Allow({ roles: ALL_ROLES, scopes: ALL_SCOPES })
  @Query(() => IngestionStatus)
  ingestionStatus(@Auth() auth: AuthContext): Promise<IngestionStatus> {
    return this.polling.status(auth.destinationId);
  }

  /**
   * Polls X now, in this request, and answers the status after it. A 5xx / network failure that
   * outlived the retries is reported in lastError (the scheduled job retries later).
   */
  @Allow({ roles: [Role.ADMIN, Role.MARKETER] })
  @Mutation(() => IngestionStatus)
  async syncSocialNow(@Auth() auth: AuthContext): Promise<IngestionStatus> {
    await this.polling.poll(auth.destinationId).catch(() => undefined);
    return this.polling.status(auth.destinationId);
  }
}
