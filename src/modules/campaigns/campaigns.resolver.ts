import {
  Args,
  Field,
  ID,
  Int,
  Mutation,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { Loaders, RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { Allow, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { SegmentEntity } from '../segments/segment.entity.js';
import { CampaignStepEntity } from './campaign-step.entity.js';
import { CampaignEntity, CampaignStatus } from './campaign.entity.js';
import { CreateCampaignInput } from './campaigns.inputs.js';
import { CampaignsService } from './campaigns.service.js';

export const CAMPAIGN_READERS = { roles: [Role.ADMIN, Role.MARKETER, Role.ANALYST] } as const;
export const CAMPAIGN_WRITERS = { roles: [Role.ADMIN, Role.MARKETER] } as const;

@ObjectType('CampaignStats')
export class CampaignStats {
  @Field(() => Int) scheduled: number;
  @Field(() => Int, { description: 'Queued, or being sent' }) queued: number;
  @Field(() => Int) sent: number;
  @Field(() => Int) failed: number;
  @Field(() => Int) suppressed: number;
  @Field(() => Int) cancelled: number;
}

@Resolver(() => CampaignEntity)
export class CampaignsResolver {
  constructor(private readonly service: CampaignsService) {}

  @Allow(CAMPAIGN_READERS)
  @Query(() => [CampaignEntity], { description: 'Newest first.' })
  campaigns(
    @Auth() auth: AuthContext,
    @Args('status', { type: () => CampaignStatus, nullable: true }) status: CampaignStatus | null,
  ) {
    return this.service.list(auth, status);
  }

  @Allow(CAMPAIGN_READERS)
  @Query(() => CampaignEntity, { nullable: true })
  campaign(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.service.find(auth, id);
  }

  @Allow(CAMPAIGN_WRITERS)
  @Mutation(() => CampaignEntity, {
    description: 'A DRAFT campaign; templates are parsed now (BAD_USER_INPUT on an error).',
  })
  createCampaign(
    @Auth() auth: AuthContext,
    @Args('input', { type: () => CreateCampaignInput }) input: CreateCampaignInput,
  ) {
    return this.service.create(auth, input);
  }

  @Allow(CAMPAIGN_WRITERS)
  @Mutation(() => CampaignEntity, {
    description:
      'Replaces the definition of a DRAFT campaign. Once activated a campaign is frozen (CONFLICT): duplicate it instead.',
  })
  updateCampaign(
    @Auth() auth: AuthContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('input', { type: () => CreateCampaignInput }) input: CreateCampaignInput,
  ) {
    return this.service.update(auth, id, input);
  }

  @Allow(CAMPAIGN_WRITERS)
  @Mutation(() => CampaignEntity, {
    description:
      'DRAFT → ACTIVE (schedules everyone in the segment, in the background) or PAUSED → ACTIVE.',
  })
  activateCampaign(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.service.activate(auth, id);
  }

  @Allow(CAMPAIGN_WRITERS)
  @Mutation(() => CampaignEntity, { description: 'ACTIVE → PAUSED: pending messages are held.' })
  pauseCampaign(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.service.pause(auth, id);
  }

  @Allow(CAMPAIGN_WRITERS)
  @Mutation(() => CampaignEntity, { description: 'Pending messages are cancelled.' })
  archiveCampaign(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.service.archive(auth, id);
  }

  @ResolveField('steps', () => [CampaignStepEntity])
  steps(@Parent() c: CampaignEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.stepsOf(loaders, c.id);
  }

  @ResolveField('segment', () => SegmentEntity, { nullable: true })
  segment(
    @Parent() c: CampaignEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return c.segmentId ? this.service.segmentOf(loaders, auth, c.segmentId) : null;
  }

  @ResolveField('stats', () => CampaignStats)
  stats(@Parent() c: CampaignEntity, @Loaders() loaders: RequestLoaders) {
    return this.service.stats(loaders, c.id);
  }
}
