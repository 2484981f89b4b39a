import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { ConnectionType } from '../../common/pagination/relay.js';
import { ImportRowError } from '../visitors/visitor-import.models.js';
import { SocialProvider } from '../visitors/social-identity.entity.js';
import { InteractionEntity, InteractionKind, WallStatus } from './interaction.entity.js';

@ObjectType('InteractionMetrics')
export class InteractionMetrics {
  @Field(() => Int)
  likes: number;

  /** Retweets / reposts. */
  @Field(() => Int)
  shares: number;

  @Field(() => Int)
  replies: number;

  @Field(() => Int)
  quotes: number;

  @Field(() => Int, { nullable: true })
  impressions: number | null;
}

export const InteractionConnection = ConnectionType(InteractionEntity, 'Interaction');

@InputType('InteractionFilterInput')
export class InteractionFilterInput {
  @Field(() => SocialProvider, { nullable: true })
  provider?: SocialProvider | null;

  @Field(() => [InteractionKind], { nullable: true })
  kinds?: InteractionKind[] | null;

  @Field(() => ID, { nullable: true })
  visitorId?: string | null;

  /** Without '#'; case-insensitive. */
  @Field(() => String, { nullable: true })
  hashtag?: string | null;

  /** An interest slug: interactions that gave evidence of it (or of a descendant). */
  @Field(() => String, { nullable: true })
  interest?: string | null;

  @Field(() => ID, { nullable: true })
  placeId?: string | null;

  @Field(() => Date, { nullable: true })
  since?: Date | null;

  @Field(() => Date, { nullable: true })
  until?: Date | null;

  @Field(() => WallStatus, { nullable: true })
  wallStatus?: WallStatus | null;
}

// No class-validator decorators on purpose: ingestInteractions validates item by item and keeps
// the good ones, where the global ValidationPipe would refuse the whole request.
@InputType('InteractionMetricsInput')
export class InteractionMetricsInput {
  @Field(() => Int, { nullable: true })
  likes?: number | null;

  @Field(() => Int, { nullable: true })
  shares?: number | null;

  @Field(() => Int, { nullable: true })
  replies?: number | null;

  @Field(() => Int, { nullable: true })
  quotes?: number | null;

  @Field(() => Int, { nullable: true })
  impressions?: number | null;
}

@InputType('InteractionInput')
export class InteractionInput {
  @Field(() => SocialProvider)
  provider: SocialProvider;

  @Field()
  externalId: string;

  @Field(() => InteractionKind)
  kind: InteractionKind;

  @Field()
  authorExternalId: string;

  @Field(() => String, { nullable: true })
  authorHandle?: string | null;

  @Field(() => Int, { nullable: true })
  authorFollowersCount?: number | null;

  @Field(() => Int, { nullable: true })
  authorFollowingCount?: number | null;

  @Field(() => String, { nullable: true })
  text?: string | null;

  @Field(() => String, { nullable: true })
  lang?: string | null;

  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field()
  occurredAt: Date;

  @Field(() => String, { nullable: true })
  inReplyToExternalId?: string | null;

  @Field(() => InteractionMetricsInput, { nullable: true })
  metrics?: InteractionMetricsInput | null;
}

@ObjectType('IngestReport')
export class IngestReport {
  /** Items in the request. */
  @Field(() => Int)
  received: number;

  @Field(() => Int)
  created: number;

  /** Already known (same provider and externalId): metrics updated. */
  @Field(() => Int)
  updated: number;

  /** Items whose author was already a visitor (new authors become prospects, not counted). */
  @Field(() => Int)
  linkedToVisitors: number;

  /** Refused items: `line` is the item's index in `items` (0-based), with every reason. */
  @Field(() => [ImportRowError])
  rejected: ImportRowError[];
}
