import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { DEFAULT_PAGE_SIZE } from '../../common/pagination/relay.js';
import { Allow, ALL_ROLES, Auth } from '../access/access.decorators.js';
import { ApiScope } from '../access/api-key.entity.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { VisitorConnection } from '../visitors/visitor-connection.js';
import { SegmentFilterInput } from './segment-filter.input.js';
import { AudienceInsights, SegmentPreview } from './segment.models.js';
import { SegmentEntity } from './segment.entity.js';
import { SegmentsService } from './segments.service.js';

/** Who builds segments (marketing) and who reads them (and their members). */
export const SEGMENT_EDITORS = { roles: [Role.ADMIN, Role.MARKETER] } as const;
export const SEGMENT_READERS = { roles: [Role.ADMIN, Role.MARKETER, Role.ANALYST] } as const;
/** Counts only, never a person: every role, and partners' READ_AGGREGATES keys. */
export const INSIGHT_READERS = { roles: ALL_ROLES, scopes: [ApiScope.READ_AGGREGATES] } as const;

const pageComplexity = ({
  args,
  childComplexity,
}: {
  args: Record<string, unknown>;
  childComplexity: number;
}) => 1 + (typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE) * childComplexity;

@Resolver(() => SegmentEntity)
export class SegmentsResolver {
  constructor(private readonly service: SegmentsService) {}

  @Allow(SEGMENT_READERS)
  @Query(() => [SegmentEntity], { description: 'Saved segments, by name' })
  segments(@Auth() auth: AuthContext) {
    return this.service.list(auth);
  }

  @Allow(SEGMENT_READERS)
  @Query(() => SegmentEntity, { nullable: true })
  segment(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.service.get(auth, id);
  }

  @Allow(SEGMENT_READERS)
  @Query(() => SegmentPreview, {
    description: 'Exact count, a sample of 10 and exact counts by interest, country and phase',
  })
  previewSegment(
    @Auth() auth: AuthContext,
    @Args('filter', { type: () => SegmentFilterInput }) filter: SegmentFilterInput,
  ) {
    return this.service.preview(auth, filter);
  }

  @Allow(INSIGHT_READERS)
  @Query(() => AudienceInsights, {
    description:
      'Counts only, protected: groups under 5 visitors folded into "other", noisy thresholds, numbers rounded to 5',
  })
  audienceInsights(
    @Auth() auth: AuthContext,
    @Args('filter', { type: () => SegmentFilterInput, nullable: true })
    filter?: SegmentFilterInput | null,
  ) {
    return this.service.insights(auth, filter);
  }

  @Allow(SEGMENT_EDITORS)
  @Mutation(() => SegmentEntity, { description: 'Names are unique in the destination' })
  createSegment(
    @Auth() auth: AuthContext,
    @Args('name') name: string,
    @Args('description', { type: () => String, nullable: true }) description: string | null,
    @Args('filter', { type: () => SegmentFilterInput }) filter: SegmentFilterInput,
  ) {
    return this.service.create(auth, { name, description, filter });
  }

  @Allow(SEGMENT_EDITORS)
  @Mutation(() => Boolean)
  deleteSegment(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.service.delete(auth, id);
  }

  @ResolveField(() => Int, { description: 'Live: the exact number of visitors it selects now' })
  size(@Parent() segment: SegmentEntity, @Auth() auth: AuthContext) {
    return this.service.count(auth, segment.filter);
  }

  @ResolveField(() => VisitorConnection, {
    description: 'Live: its visitors now, oldest first',
    complexity: pageComplexity,
  })
  visitors(
    @Parent() segment: SegmentEntity,
    @Auth() auth: AuthContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ) {
    return this.service.page(auth, segment.filter, { first, after });
  }
}
