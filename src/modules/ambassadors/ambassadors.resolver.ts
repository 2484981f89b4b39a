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
import { Allow, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { AmbassadorTier } from '../segments/segment-filter.input.js';
import { VisitorConnection } from '../visitors/visitor-connection.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';
import { VisitorsService } from '../visitors/visitors.service.js';
import { AmbassadorChange, AmbassadorScore, DerbyInput, DerbyResult } from './ambassador.models.js';
import { AmbassadorPubSub } from './ambassador-pubsub.js';
import { AmbassadorScoresService } from './ambassador-scores.service.js';
import { DerbyService } from './derby.service.js';

/** Scores are a profile of people: staff only (partners' keys see Visitor.ambassador only). */
export const AMBASSADOR_READERS = { roles: [Role.ADMIN, Role.MARKETER, Role.ANALYST] } as const;
export const AMBASSADOR_WRITERS = { roles: [Role.ADMIN, Role.MARKETER] } as const;

@Resolver()
export class AmbassadorsResolver {
  constructor(
    private readonly scores: AmbassadorScoresService,
    private readonly derbyService: DerbyService,
    private readonly pubsub: AmbassadorPubSub,
  ) {}

  @Allow(AMBASSADOR_READERS)
  @Query(() => VisitorConnection, { description: 'By score, best first.' })
  ambassadors(
    @Auth() auth: AuthContext,
    @Args('minTier', { type: () => AmbassadorTier, nullable: true }) minTier: AmbassadorTier | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ) {
    return this.scores.leaderboard(auth, minTier, { first, after });
  }

  @Allow(AMBASSADOR_READERS)
  @Query(() => [AmbassadorChange], { description: 'Tier changes since, oldest first.' })
  ambassadorChanges(@Auth() auth: AuthContext, @Args('since', { type: () => Date }) since: Date) {
    return this.scores.changes(auth, since);
  }

  @Allow(AMBASSADOR_READERS)
  @Query(() => DerbyResult)
  derby(@Auth() auth: AuthContext, @Args('input', { type: () => DerbyInput }) input: DerbyInput) {
    return this.derbyService.derby(auth, input);
  }

  @Allow(AMBASSADOR_WRITERS)
  @Mutation(() => Boolean, { description: 'Recomputes every score of the destination now.' })
  async recomputeAmbassadorScores(@Auth() auth: AuthContext): Promise<boolean> {
    await this.scores.recompute(auth.destinationId);
    return true;
  }

  @Allow(AMBASSADOR_READERS)
  @Subscription(() => AmbassadorChange, {
    description: "Promotions to AMBASSADOR in the subscriber's destination, after they are stored.",
  })
  async *ambassadorPromoted(@Context() context: { req: { auth?: AuthContext } }) {
    const auth = context.req.auth;
    if (!auth) return;
    for await (const change of this.pubsub.subscribe(auth.destinationId)) {
      yield { ambassadorPromoted: change };
    }
  }
}

@Resolver(() => AmbassadorChange)
export class AmbassadorChangeResolver {
  constructor(private readonly visitors: VisitorsService) {}

  @ResolveField('visitor', () => VisitorEntity)
  visitor(
    @Parent() change: AmbassadorChange,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.visitors.byId(loaders, auth, change.visitorId);
  }
}

@Resolver(() => VisitorEntity)
export class VisitorAmbassadorResolver {
  constructor(private readonly scores: AmbassadorScoresService) {}

  @ResolveField('ambassador', () => AmbassadorScore)
  ambassador(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.scores.scoreOf(loaders, auth, visitor.id);
  }
}
