import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { DEFAULT_PAGE_SIZE } from '../../common/pagination/relay.js';
import { Allow, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { VisitorConnection } from '../visitors/visitor-connection.js';
import { VisitorsService } from '../visitors/visitors.service.js';
import { VISITOR_READERS } from '../visitors/visitors.resolver.js';
import { assertNoFilterYet, SegmentFilterInput } from './segment-filter.input.js';

@Resolver()
export class VisitorsQueryResolver {
  constructor(private readonly service: VisitorsService) {}

  /** Oldest first; READ_PROFILES keys see only visitors with a granted PROFILING consent. */
  @Allow(VISITOR_READERS)
  @Query(() => VisitorConnection, {
    complexity: ({ args, childComplexity }) =>
      1 + (typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE) * childComplexity,
  })
  visitors(
    @Auth() auth: AuthContext,
    @Args('filter', { type: () => SegmentFilterInput, nullable: true })
    filter?: SegmentFilterInput | null,
    @Args('first', { type: () => Int, nullable: true }) first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ) {
    assertNoFilterYet(filter);
    return this.service.list(auth, { first, after });
  }
}
