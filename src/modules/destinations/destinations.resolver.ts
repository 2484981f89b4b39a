import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Allow, ALL_ROLES, ALL_SCOPES, Auth } from '../access/access.decorators.js';
import { Viewer } from '../access/access.models.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { DestinationEntity, QuietHours } from './destination.entity.js';
import { UpdateDestinationArgs } from './destinations.inputs.js';
import { DestinationsService } from './destinations.service.js';
import { PlaceEntity } from './place.entity.js';
import { TrackedSourceEntity, TrackKind } from './tracked-source.entity.js';

const READERS = { roles: ALL_ROLES, scopes: ALL_SCOPES };
const EDITORS = { roles: [Role.ADMIN, Role.MARKETER] };

@Resolver(() => DestinationEntity)
export class DestinationsResolver {
  constructor(private readonly destinations: DestinationsService) {}

  @Allow(READERS)
  @Query(() => DestinationEntity)
  destination(@Auth() auth: AuthContext) {
    return this.destinations.get(auth);
  }

  @Allow({ roles: [Role.ADMIN] })
  @Mutation(() => DestinationEntity)
  updateDestination(@Auth() auth: AuthContext, @Args() args: UpdateDestinationArgs) {
    return this.destinations.update(auth, args);
  }

  @ResolveField(() => QuietHours, { nullable: true })
  quietHours(@Parent() destination: DestinationEntity) {
    return this.destinations.quietHours(destination);
  }

  @Allow(READERS)
  @Query(() => [PlaceEntity])
  places(@Auth() auth: AuthContext) {
    return this.destinations.listPlaces(auth);
  }

  @Allow(EDITORS)
  @Mutation(() => TrackedSourceEntity)
  trackSource(
    @Auth() auth: AuthContext,
    @Args('kind', { type: () => TrackKind }) kind: TrackKind,
    @Args('value') value: string,
  ) {
    return this.destinations.trackSource(auth, kind, value);
  }

  @Allow(EDITORS)
  @Mutation(() => TrackedSourceEntity)
  untrackSource(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.destinations.untrackSource(auth, id);
  }
}

/** `me.destination`: the Viewer type belongs to access, which sits above destinations. */
@Resolver(() => Viewer)
export class ViewerDestinationResolver {
  constructor(private readonly destinations: DestinationsService) {}

  @ResolveField(() => DestinationEntity)
  destination(@Auth() auth: AuthContext) {
    return this.destinations.get(auth);
  }
}
