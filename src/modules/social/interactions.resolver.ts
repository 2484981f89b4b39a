import {
  Args,
  Context,
  Int,
  Mutation,
  Parent,
  Query,
  ResolveField,
  Resolver,
  Subscription,
} from '@nestjs/graphql';
import { Loaders, RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { forbidden } from '../../common/errors/app-error.js';
import { Allow, Auth } from '../access/access.decorators.js';
import { ApiScope } from '../access/api-key.entity.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import { InterestEntity } from '../interests/interest.entity.js';
import { SocialIdentityEntity } from '../visitors/social-identity.entity.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';
import { VisitorsService } from '../visitors/visitors.service.js';
import { InteractionPubSub } from './interaction-pubsub.js';
import { InteractionEntity, WallStatus } from './interaction.entity.js';
import { InteractionsService } from './interactions.service.js';
import {
  IngestReport,
  InteractionConnection,
  InteractionFilterInput,
  InteractionInput,
  InteractionMetrics,
} from './social.models.js';

export const INTERACTION_READERS = { roles: [Role.ADMIN, Role.MARKETER, Role.ANALYST] } as const;
export const INTERACTION_WRITERS = {
  roles: [Role.ADMIN, Role.MARKETER],
  scopes: [ApiScope.WRITE_INTERACTIONS],
} as const;

@Resolver(() => InteractionEntity)
export class InteractionsResolver {
  constructor(
    private readonly service: InteractionsService,
    private readonly visitors: VisitorsService,
    private readonly pubsub: InteractionPubSub,
  ) {}

  @Allow(INTERACTION_READERS)
  @Query(() => InteractionConnection, { description: 'Newest first.' })
  interactions(
    @Auth() auth: AuthContext,
    @Args('filter', { type: () => InteractionFilterInput, nullable: true })
    filter: InteractionFilterInput | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ) {
    return this.service.list(auth, filter, { first, after });
  }

  @Allow(INTERACTION_WRITERS)
  @Mutation(() => IngestReport, {
    description:
      'Interactions from other networks, through the same pipeline as X polling. Bad items are refused one by one (rejected.line = index in items); the good ones are kept.',
  })
  ingestInteractions(
    @Auth() auth: AuthContext,
    @Args('items', { type: () => [InteractionInput] }) items: InteractionInput[],
  ) {
    return this.service.ingestInputs(auth, items);
  }

  @Allow(INTERACTION_READERS)
  @Subscription(() => InteractionEntity, {
    description: "New interactions of the subscriber's destination, after they are committed.",
  })
  async *interactionIngested(@Context() context: { req: { auth?: AuthContext } }) {
    const auth = context.req.auth;
    if (!auth) return;
    for await (const interaction of this.pubsub.subscribe(auth.destinationId)) {
      yield { interactionIngested: interaction };
    }
  }

  @ResolveField('author', () => SocialIdentityEntity)
  author(@Parent() i: InteractionEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.identity(loaders, i.authorIdentityId);
  }

  @ResolveField('visitor', () => VisitorEntity, { nullable: true })
  visitor(
    @Parent() i: InteractionEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return i.visitorId ? this.visitors.byId(loaders, auth, i.visitorId) : null;
  }

  @ResolveField('metrics', () => InteractionMetrics)
  metrics(@Parent() i: InteractionEntity): InteractionMetrics {
    return {
      likes: i.likes,
      shares: i.shares,
      replies: i.replies,
      quotes: i.quotes,
      impressions: i.impressions,
    };
  }

  @ResolveField('places', () => [PlaceEntity])
  places(@Parent() i: InteractionEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.places(loaders, i.placeIds ?? []);
  }

  @ResolveField('interests', () => [InterestEntity])
  interests(@Parent() i: InteractionEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.interests(loaders, i.id);
  }

  @ResolveField('inReplyTo', () => InteractionEntity, { nullable: true })
  inReplyTo(@Parent() i: InteractionEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.inReplyTo(loaders, i);
  }

  /** Not a wall candidate (null in the table) reads as REJECTED: it is never shown. */
  @ResolveField('wallStatus', () => WallStatus)
  wallStatus(@Parent() i: InteractionEntity): WallStatus {
    return i.wallStatus ?? WallStatus.REJECTED;
  }
}

@Resolver(() => VisitorEntity)
export class VisitorInteractionsResolver {
  constructor(private readonly service: InteractionsService) {}

  @ResolveField('interactions', () => InteractionConnection)
  interactions(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ) {
    // Same readers as Query.interactions: users (ADMIN/MARKETER/ANALYST), not API keys.
    if (auth.principal.kind !== 'user') throw forbidden('Visitor.interactions is for users only');
    return this.service.list(auth, { visitorId: visitor.id }, { first, after });
  }
}
