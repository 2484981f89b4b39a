import {
  Args,
  Field,
  ID,
  Int,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { Loaders, RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { forbidden } from '../../common/errors/app-error.js';
import { ConnectionType } from '../../common/pagination/relay.js';
import { Allow, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { CampaignStepEntity } from '../campaigns/campaign-step.entity.js';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import { CampaignsService } from '../campaigns/campaigns.service.js';
import { StayEntity } from '../stays/stay.entity.js';
import { StaysService } from '../stays/stays.service.js';
import { VisitorEntity } from '../visitors/visitor.entity.js';
import { VisitorsService } from '../visitors/visitors.service.js';
import { MessageEntity, MessageStatus } from './message.entity.js';
import { MessagesService } from './messages.service.js';

export const MessageConnection = ConnectionType(MessageEntity, 'Message');

@ObjectType('RenderedMessage')
export class RenderedMessage {
  @Field(() => String, { nullable: true })
  subject: string | null;

  @Field({ description: 'The plain-text part, as sent (with the unsubscribe footer)' })
  body: string;

  @Field({ description: 'The locale of the template variant that was picked' })
  locale: string;
}

const READERS = { roles: [Role.ADMIN, Role.MARKETER, Role.ANALYST] } as const;
/** A preview prints a person's names and stay: not for analysts. */
const PREVIEWERS = { roles: [Role.ADMIN, Role.MARKETER] } as const;

@Resolver(() => MessageEntity)
export class MessagesResolver {
  constructor(
    private readonly service: MessagesService,
    private readonly campaigns: CampaignsService,
    private readonly visitors: VisitorsService,
    private readonly stays: StaysService,
  ) {}

  @Allow(READERS)
  @Query(() => MessageConnection, { description: 'Newest first.' })
  messages(
    @Auth() auth: AuthContext,
    @Args('campaignId', { type: () => ID, nullable: true }) campaignId: string | null,
    @Args('status', { type: () => MessageStatus, nullable: true }) status: MessageStatus | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ) {
    return this.service.list(auth, { campaignId, status }, { first, after });
  }

  @Allow(PREVIEWERS)
  @Query(() => RenderedMessage, {
    description: 'Renders a step for a visitor exactly as it would be sent now.',
  })
  previewMessage(
    @Auth() auth: AuthContext,
    @Args('campaignId', { type: () => ID }) campaignId: string,
    @Args('stepId', { type: () => ID }) stepId: string,
    @Args('visitorId', { type: () => ID }) visitorId: string,
  ) {
    return this.service.preview(auth, campaignId, stepId, visitorId);
  }

  @ResolveField('status', () => MessageStatus)
  status(@Parent() m: MessageEntity): MessageStatus {
    return m.status === MessageStatus.SENDING ? MessageStatus.QUEUED : m.status;
  }

  @ResolveField('campaign', () => CampaignEntity)
  campaign(
    @Parent() m: MessageEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.campaigns.byId(loaders, auth, m.campaignId);
  }

  @ResolveField('step', () => CampaignStepEntity)
  step(@Parent() m: MessageEntity, @Loaders() loaders: RequestLoaders) {
    return this.campaigns.stepById(loaders, m.stepId);
  }

  @ResolveField('visitor', () => VisitorEntity)
  visitor(
    @Parent() m: MessageEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
  ) {
    return this.visitors.byId(loaders, auth, m.visitorId);
  }

  @ResolveField('stay', () => StayEntity, { nullable: true })
  stay(@Parent() m: MessageEntity, @Auth() auth: AuthContext, @Loaders() loaders: RequestLoaders) {
    return m.stayId ? this.stays.byId(loaders, auth, m.stayId) : null;
  }
}

@Resolver(() => VisitorEntity)
export class VisitorMessagesResolver {
  constructor(private readonly service: MessagesService) {}

  @ResolveField('messages', () => MessageConnection, { description: 'Newest first.' })
  messages(
    @Parent() visitor: VisitorEntity,
    @Auth() auth: AuthContext,
    @Loaders() loaders: RequestLoaders,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ) {
    // Like Visitor.interactions: for users, not API keys.
    if (auth.principal.kind !== 'user') throw forbidden('Visitor.messages is for users only');
    return this.service.ofVisitor(loaders, auth, visitor.id, { first, after });
  }
}
