import { Args, ID, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { Loaders, RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { notFound } from '../../common/errors/app-error.js';
import { Allow, Auth } from '../access/access.decorators.js';
import { ApiScope } from '../access/api-key.entity.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';
import { VisitorsService } from '../visitors/visitors.service.js';
import { JourneyPhase } from './journey-phase.js';
import { StayEntity } from './stay.entity.js';
import { StayInput } from './stay.inputs.js';
import { StaysService } from './stays.service.js';

/** Who writes bookings: the office's editors, and partners' keys with WRITE_STAYS. */
export const STAY_WRITERS = {
  roles: [Role.ADMIN, Role.MARKETER],
  scopes: [ApiScope.WRITE_STAYS],
} as const;

@Resolver(() => StayEntity)
export class StaysResolver {
  constructor(
    private readonly stays: StaysService,
    private readonly visitors: VisitorsService,
  ) {}

  @Allow(STAY_WRITERS)
  @Mutation(() => StayEntity, {
    description: 'Idempotent on (source, externalRef): the same booking again updates it',
  })
  upsertStay(
    @Auth() auth: AuthContext,
    @Args('input', { type: () => StayInput }) input: StayInput,
  ) {
    return this.stays.upsert(auth, input);
  }

  @Allow(STAY_WRITERS)
  @Mutation(() => StayEntity, { description: 'CANCELLED; cancelling again changes nothing' })
  cancelStay(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.stays.cancel(auth, id);
  }

  @ResolveField(() => VisitorEntity)
  async visitor(
    @Parent() stay: StayEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    const visitor = await this.visitors.byId(loaders, auth, stay.visitorId);
    // Stays are reached through visible visitors and the mutations: only an erasure racing the
    // request lands here.
    if (!visitor) throw notFound('Visitor', stay.visitorId);
    return visitor;
  }

  @ResolveField(() => PlaceEntity, { nullable: true, description: 'The accommodation, when known' })
  place(@Parent() stay: StayEntity, @Auth() auth: AuthContext, @Loaders() loaders: RequestLoaders) {
    return stay.placeId ? this.stays.placeOf(loaders, auth, stay.placeId) : null;
  }
}

/** `Visitor.stays` and `Visitor.phase`: the Visitor type belongs to visitors, below stays. */
@Resolver(() => VisitorEntity)
export class VisitorStaysResolver {
  constructor(private readonly service: StaysService) {}

  @ResolveField(() => [StayEntity], { description: 'Every stay, any status, by arrival' })
  stays(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.service.staysOf(loaders, auth, visitor.id);
  }

  @ResolveField(() => JourneyPhase, { description: 'Relative to now and the visitor’s stays' })
  phase(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.service.phaseOf(loaders, auth, visitor.id);
  }
}
