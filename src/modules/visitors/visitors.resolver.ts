import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Loaders, RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { Allow, Auth } from '../access/access.decorators.js';
import { ApiScope } from '../access/api-key.entity.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { VisitorInterest } from '../interests/visitor-interest.model.js';
import { InterestsService } from '../interests/interests.service.js';
import { ConsentEntity } from './consent.entity.js';
import { SocialIdentityEntity } from './social-identity.entity.js';
import {
  ConsentInput,
  CreateVisitorInput,
  SocialIdentityInput,
  UpdateVisitorInput,
} from './visitor.inputs.js';
import { VisitorEntity } from './visitor.entity.js';
import { VisitorsService } from './visitors.service.js';

export const VISITOR_READERS = {
  roles: [Role.ADMIN, Role.MARKETER, Role.ANALYST],
  scopes: [ApiScope.READ_PROFILES],
} as const;
export const VISITOR_EDITORS = { roles: [Role.ADMIN, Role.MARKETER] } as const;

@Resolver(() => VisitorEntity)
export class VisitorsResolver {
  constructor(
    private readonly service: VisitorsService,
    private readonly interestsService: InterestsService,
  ) {}

  @Allow(VISITOR_READERS)
  @Query(() => VisitorEntity, { nullable: true })
  visitor(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.service.get(auth, id);
  }

  @Allow(VISITOR_EDITORS)
  @Mutation(() => VisitorEntity)
  createVisitor(
    @Auth() auth: AuthContext,
    @Args('input', { type: () => CreateVisitorInput }) input: CreateVisitorInput,
  ) {
    return this.service.create(auth, input);
  }

  @Allow(VISITOR_EDITORS)
  @Mutation(() => VisitorEntity)
  updateVisitor(
    @Auth() auth: AuthContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('input', { type: () => UpdateVisitorInput }) input: UpdateVisitorInput,
  ) {
    return this.service.update(auth, id, input);
  }

  @Allow(VISITOR_EDITORS)
  @Mutation(() => VisitorEntity)
  linkSocialIdentity(
    @Auth() auth: AuthContext,
    @Args('visitorId', { type: () => ID }) visitorId: string,
    @Args('identity', { type: () => SocialIdentityInput }) identity: SocialIdentityInput,
  ) {
    return this.service.linkSocialIdentity(auth, visitorId, identity);
  }

  @Allow(VISITOR_EDITORS)
  @Mutation(() => VisitorEntity)
  recordConsent(
    @Auth() auth: AuthContext,
    @Args('visitorId', { type: () => ID }) visitorId: string,
    @Args('consent', { type: () => ConsentInput }) consent: ConsentInput,
  ) {
    return this.service.recordConsent(auth, visitorId, consent);
  }

  @ResolveField(() => String)
  displayName(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.service.displayName(auth, loaders, visitor);
  }

  @ResolveField(() => String, { nullable: true })
  firstName(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.service.personal(auth, loaders, visitor, 'firstName');
  }

  @ResolveField(() => String, { nullable: true })
  lastName(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.service.personal(auth, loaders, visitor, 'lastName');
  }

  @ResolveField(() => String, { nullable: true })
  email(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.service.personal(auth, loaders, visitor, 'email');
  }

  @ResolveField(() => String, { nullable: true })
  phone(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.service.personal(auth, loaders, visitor, 'phone');
  }

  @ResolveField(() => [SocialIdentityEntity])
  identities(@Parent() visitor: VisitorEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.identitiesOf(loaders, visitor.id);
  }

  @ResolveField(() => [ConsentEntity], { description: 'Full history, newest first' })
  consents(@Parent() visitor: VisitorEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.consentsOf(loaders, visitor.id);
  }

  @ResolveField(() => [VisitorInterest])
  interests(
    @Parent() visitor: VisitorEntity,
    @Loaders() loaders: RequestLoaders,
    @Args('top', { type: () => Int, nullable: true }) top?: number | null,
  ) {
    return this.interestsService.visitorInterests(loaders, visitor.id, top);
  }
}

@Resolver(() => SocialIdentityEntity)
export class SocialIdentityResolver {
  constructor(private readonly service: VisitorsService) {}

  @ResolveField(() => String)
  externalId(@Parent() identity: SocialIdentityEntity) {
    // Identities linked by handle only have no network id yet: the handle stands for it.
    return identity.externalId ?? identity.handle ?? '';
  }

  @ResolveField(() => VisitorEntity, { nullable: true })
  visitor(
    @Parent() identity: SocialIdentityEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return identity.visitorId ? this.service.byId(loaders, auth, identity.visitorId) : null;
  }
}
