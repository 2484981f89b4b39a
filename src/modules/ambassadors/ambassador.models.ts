import { Field, Float, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ArrayMaxSize, IsString, MaxLength } from 'class-validator';
import { InteractionEntity } from '../social/interaction.entity.js';
import { AmbassadorTier } from '../segments/segment-filter.input.js';

export const MAX_DERBY_HANDLES = 100;

@ObjectType('AmbassadorComponents')
export class AmbassadorComponents {
  @Field(() => Float, { description: 'followers, log-scaled' })
  reach: number;

  @Field(() => Float, { description: 'followers / following' })
  ratio: number;

  @Field(() => Float, { description: 'shares and quotes of their posts about the destination' })
  amplification: number;

  @Field(() => Float, { description: 'interactions received per post' })
  engagement: number;

  @Field(() => Float, { description: 'posts about the destination' })
  activity: number;

  @Field(() => Float)
  sentiment: number;

  @Field(() => Float)
  recency: number;
}

@ObjectType('AmbassadorScore')
export class AmbassadorScore {
  @Field(() => Float, { description: '0..100' })
  score: number;

  @Field(() => AmbassadorTier)
  tier: AmbassadorTier;

  @Field(() => Int, { nullable: true })
  rank: number | null;

  @Field(() => AmbassadorComponents, {
    description: 'Each a percentile rank (0..1) among the visitors active in the window.',
  })
  components: AmbassadorComponents;

  @Field(() => Date, { nullable: true })
  computedAt: Date | null;
}

/** `AmbassadorChange`: `visitor` is resolved from `visitorId` (AmbassadorChangeResolver). */
@ObjectType('AmbassadorChange')
export class AmbassadorChange {
  id: string;
  destinationId: string;
  visitorId: string;

  @Field(() => AmbassadorTier)
  from: AmbassadorTier;

  @Field(() => AmbassadorTier)
  to: AmbassadorTier;

  @Field(() => Date)
  at: Date;

  score: number;
}

export enum Trophy {
  MOST_FOLLOWERS = 'MOST_FOLLOWERS',
  BEST_FOLLOWER_RATIO = 'BEST_FOLLOWER_RATIO',
  MOST_SHARED_POST = 'MOST_SHARED_POST',
  HIGHEST_ENGAGEMENT = 'HIGHEST_ENGAGEMENT',
}
registerEnumType(Trophy, { name: 'Trophy' });

@ObjectType('DerbyStanding')
export class DerbyStanding {
  @Field()
  handle: string;

  @Field(() => Int)
  followers: number;

  @Field(() => Int)
  following: number;

  @Field(() => Int)
  posts: number;

  @Field(() => Int)
  shares: number;

  @Field(() => Float, { description: '(likes+shares+replies+quotes) received / posts / followers' })
  engagementRate: number;

  @Field(() => InteractionEntity, { nullable: true })
  bestPost: InteractionEntity | null;
}

@ObjectType('DerbyAward')
export class DerbyAward {
  @Field(() => Trophy)
  trophy: Trophy;

  @Field()
  handle: string;

  @Field(() => Float)
  value: number;

  @Field(() => InteractionEntity, { nullable: true })
  post: InteractionEntity | null;
}

@ObjectType('DerbyResult')
export class DerbyResult {
  @Field(() => Date)
  from: Date;

  @Field(() => Date)
  to: Date;

  @Field(() => [DerbyStanding])
  standings: DerbyStanding[];

  @Field(() => [DerbyAward])
  awards: DerbyAward[];
}

@InputType('DerbyInput')
export class DerbyInput {
  @Field(() => [String])
  @ArrayMaxSize(MAX_DERBY_HANDLES)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  handles: string[];

  @Field(() => Date)
  from: Date;

  @Field(() => Date)
  to: Date;
}
