import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Loaders, RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { Allow, ALL_ROLES, ALL_SCOPES, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { UpsertPlaceArgs } from '../destinations/destinations.inputs.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import { InterestEntity } from './interest.entity.js';
import { UpsertInterestArgs } from './interests.inputs.js';
import { InterestsService } from './interests.service.js';

const EDITORS = { roles: [Role.ADMIN, Role.MARKETER] };

@Resolver(() => InterestEntity)
export class InterestsResolver {
  constructor(private readonly service: InterestsService) {}

  @Allow({ roles: ALL_ROLES, scopes: ALL_SCOPES })
  @Query(() => [InterestEntity], { name: 'interests' })
  list(@Auth() auth: AuthContext) {
    return this.service.list(auth);
  }

  @Allow(EDITORS)
  @Mutation(() => InterestEntity)
  upsertInterest(@Auth() auth: AuthContext, @Args() args: UpsertInterestArgs) {
    return this.service.upsert(auth, args);
  }

  @ResolveField(() => String)
  label(
    @Auth() auth: AuthContext,
    @Parent() interest: InterestEntity,
    @Args('locale', { type: () => String, nullable: true }) locale?: string | null,
  ) {
    return this.service.label(auth, interest, locale);
  }

  @ResolveField(() => InterestEntity, { nullable: true })
  parent(@Parent() interest: InterestEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.parent(loaders, interest);
  }
}

@Resolver(() => PlaceEntity)
export class PlaceInterestsResolver {
  constructor(private readonly service: InterestsService) {}

  @Allow(EDITORS)
  @Mutation(() => PlaceEntity)
  upsertPlace(@Auth() auth: AuthContext, @Args() args: UpsertPlaceArgs) {
    return this.service.upsertPlace(auth, args);
  }

  @ResolveField('interests', () => [InterestEntity])
  interestsOf(@Parent() place: PlaceEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.ofPlace(loaders, place);
  }
}
