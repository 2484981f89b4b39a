import { Field, Float, InputType, registerEnumType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import { JourneyPhase } from '../stays/journey-phase.js';
import { Channel, ConsentPurpose } from '../visitors/consent.entity.js';

/**
 * Tiers of the ambassador score (FAN ≥ 25, ADVOCATE ≥ 50, AMBASSADOR ≥ 75 with recent posts).
 * Registered here because the segment filter is the first to name it; the ambassadors module
 * sits below segments and imports it from here.
 */
export enum AmbassadorTier {
  NONE = 'NONE',
  FAN = 'FAN',
  ADVOCATE = 'ADVOCATE',
  AMBASSADOR = 'AMBASSADOR',
}
registerEnumType(AmbassadorTier, { name: 'AmbassadorTier' });

const MAX_LIST = 100;

@InputType('DateRangeInput')
export class DateRangeInput {
  @Field(() => Date, { nullable: true })
  from?: Date | null;

  @Field(() => Date, { nullable: true })
  to?: Date | null;
}

@InputType('ConsentFilterInput')
export class ConsentFilterInput {
  @Field(() => Channel, {
    nullable: true,
    description: 'None: the consent recorded without a channel (as PROFILING is)',
  })
  channel?: Channel | null;

  @Field(() => ConsentPurpose)
  purpose: ConsentPurpose;
}

/**
 * The segment DSL: every given criterion must hold; `and`, `or` and `not` combine filters; an
 * empty filter selects everyone. Semantics and validation: segment-filter.compiler.ts.
 */
@InputType('SegmentFilterInput')
export class SegmentFilterInput {
  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @MaxLength(64, { each: true })
  @Field(() => [String], {
    nullable: true,
    description: 'Slugs; the visitor has at least one with score >= minInterestScore',
  })
  interestsAny?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @MaxLength(64, { each: true })
  @Field(() => [String], {
    nullable: true,
    description: 'Slugs; the visitor has every one with score >= minInterestScore',
  })
  interestsAll?: string[] | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Default 0.2; 0 to 1; nested filters inherit it unless they set their own',
  })
  minInterestScore?: number | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @Field(() => [JourneyPhase], { nullable: true, description: 'As Visitor.phase, now' })
  phases?: JourneyPhase[] | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => DateRangeInput)
  @Field(() => DateRangeInput, {
    nullable: true,
    description: 'A stay that is not cancelled overlaps [from, to); either bound may be open',
  })
  stayOverlaps?: DateRangeInput | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @MaxLength(2, { each: true })
  @Field(() => [String], { nullable: true, description: 'ISO 3166-1 alpha-2 codes' })
  countries?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @MaxLength(35, { each: true })
  @Field(() => [String], {
    nullable: true,
    description: 'BCP 47; a language matches its regions: "fr" matches fr-FR and fr-CA',
  })
  locales?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @MaxLength(50, { each: true })
  @Field(() => [String], { nullable: true, description: 'At least one of the tags' })
  tagsAny?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @Field(() => [AmbassadorTier], {
    nullable: true,
    description: 'Visitors without a score are NONE',
  })
  ambassadorTiers?: AmbassadorTier[] | null;

  @Field(() => Float, { nullable: true, description: '0 to 100; visitors without a score have 0' })
  minAmbassadorScore?: number | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => ConsentFilterInput)
  @Field(() => ConsentFilterInput, {
    nullable: true,
    description: 'The current (newest) consent record for the channel and purpose is granted',
  })
  hasConsent?: ConsentFilterInput | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Not available yet: refused until social ingestion records interactions',
  })
  interactedSince?: Date | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @ValidateNested({ each: true })
  @Type(() => SegmentFilterInput)
  @Field(() => [SegmentFilterInput], { nullable: true, description: 'Every one of these filters' })
  and?: SegmentFilterInput[] | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @ValidateNested({ each: true })
  @Type(() => SegmentFilterInput)
  @Field(() => [SegmentFilterInput], {
    nullable: true,
    description: 'At least one of these filters',
  })
  or?: SegmentFilterInput[] | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => SegmentFilterInput)
  @Field(() => SegmentFilterInput, {
    nullable: true,
    description: 'The visitors this filter does not select (at most 8 levels, 200 conditions)',
  })
  not?: SegmentFilterInput | null;
}
