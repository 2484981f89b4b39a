import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { JSONScalar } from '../../common/scalars/scalars.js';
import { Allow, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { VisitorMergeService } from './visitor-merge.service.js';
import { VisitorPrivacyService } from './visitor-privacy.service.js';
import { VisitorEntity } from './visitor.entity.js';

/** Staff who edit profiles. Analysts read masked data only: no merge, no raw PII export. */
const EDITORS = { roles: [Role.ADMIN, Role.MARKETER] } as const;
/** Erasure cannot be undone: administrators only. */
const ADMINS = { roles: [Role.ADMIN] } as const;

/** Merge, GDPR export and GDPR erasure of visitors. */
@Resolver()
export class VisitorLifecycleResolver {
  constructor(
    private readonly merges: VisitorMergeService,
    private readonly privacy: VisitorPrivacyService,
  ) {}

  @Allow(EDITORS)
  @Mutation(() => VisitorEntity, {
    description:
      'Moves identities, stays, interactions, consents, messages, tags and interest evidence of mergeId to keepId, fills the empty fields of keepId, deletes mergeId',
  })
  mergeVisitors(
    @Auth() auth: AuthContext,
    @Args('keepId', { type: () => ID }) keepId: string,
    @Args('mergeId', { type: () => ID }) mergeId: string,
  ) {
    return this.merges.merge(auth, keepId, mergeId);
  }

  @Allow(EDITORS)
  @Query(() => JSONScalar, { description: 'GDPR access: everything held on one person' })
  exportVisitorData(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.privacy.export(auth, id);
  }

  @Allow(ADMINS)
  @Mutation(() => Boolean, { description: 'GDPR erasure: PII gone, anonymous aggregates kept' })
  eraseVisitor(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.privacy.erase(auth, id);
  }
}
