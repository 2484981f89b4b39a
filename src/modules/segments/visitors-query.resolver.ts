import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { DEFAULT_PAGE_SIZE } from '../../common/pagination/relay.js';
import { Allow, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { VisitorConnection } from '../visitors/visitor-connection.js';
import { VISITOR_READERS } from '../visitors/visitors.resolver.js';
import { SegmentFilterInput } from './segment-filter.input.js';
import { SegmentsService } from './segments.service.js';

@Resolver()
export class VisitorsQueryResolver {
  constructor(private readonly segments: SegmentsService) {}

  /**
   * The visitors a filter selects (everyone without one), oldest first, with an exact total.
   * READ_PROFILES keys see only visitors with a granted PROFILING consent.
   */
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
    return this.segments.page(auth, filter, { first, after });
  }
}
