import { Args, Context, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { Allow, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { InteractionEntity, WallStatus } from '../social/interaction.entity.js';
import { INTERACTION_READERS } from '../social/interactions.resolver.js';
import { WallPubSub } from './wall-pubsub.js';
import { WALL_DEFAULT_SIZE, WALL_MAX_SIZE, WallService } from './wall.service.js';

const MODERATORS = { roles: [Role.ADMIN, Role.MARKETER] } as const;

@Resolver()
export class WallResolver {
  constructor(
    private readonly service: WallService,
    private readonly pubsub: WallPubSub,
  ) {}

  @Allow(INTERACTION_READERS)
  @Query(() => [InteractionEntity], {
    description: `Approved posts, newest first (default ${WALL_DEFAULT_SIZE}, at most ${WALL_MAX_SIZE}). Next page: after = the id of the last post received.`,
  })
  wall(
    @Auth() auth: AuthContext,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => ID, nullable: true }) after: string | null,
  ) {
    return this.service.list(auth, first, after);
  }

  @Allow(MODERATORS)
  @Mutation(() => InteractionEntity, {
    description:
      'Puts a post on the showroom wall (APPROVED) or keeps it off (REJECTED, or back to PENDING). Any post, quote or mention with a text can be (re-)moderated, including automatic rejections.',
  })
  moderateWallPost(
    @Auth() auth: AuthContext,
    @Args('interactionId', { type: () => ID }) interactionId: string,
    @Args('status', { type: () => WallStatus }) status: WallStatus,
  ) {
    return this.service.moderate(auth, interactionId, status);
  }

  @Allow(INTERACTION_READERS)
  @Subscription(() => InteractionEntity, {
    description: "Posts approved for the subscriber's destination's wall, after commit.",
  })
  async *wallPostApproved(@Context() context: { req: { auth?: AuthContext } }) {
    const auth = context.req.auth;
    if (!auth) return;
    for await (const interaction of this.pubsub.approved(auth.destinationId)) {
      yield { wallPostApproved: interaction };
    }
  }

  @Allow(MODERATORS)
  @Query(() => [String], {
    description:
      'Words and phrases that keep a post off the wall (matched whole, ignoring case, accents and plurals).',
  })
  wallBlocklist(@Auth() auth: AuthContext) {
    return this.service.blocklist(auth);
  }

  @Allow(MODERATORS)
  @Mutation(() => [String], {
    description:
      'Replaces the wall blocklist. New posts containing one are rejected at ingest; pending ones are rejected now.',
  })
  updateWallBlocklist(
    @Auth() auth: AuthContext,
    @Args('words', { type: () => [String] }) words: string[],
  ) {
    return this.service.updateBlocklist(auth, words);
  }
}
