import { Field, Float, InputType, registerEnumType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import { badInput } from '../../common/errors/app-error.js';
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
  @Field(() => Channel, { nullable: true })
  channel?: Channel | null;

  @Field(() => ConsentPurpose)
  purpose: ConsentPurpose;
}

/** The segment DSL: every given criterion must hold; `and`, `or` and `not` combine filters. */
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
  @Field(() => [String], { nullable: true })
  interestsAll?: string[] | null;

  @Field(() => Float, { nullable: true, description: 'Default 0.2' })
  minInterestScore?: number | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @Field(() => [JourneyPhase], { nullable: true })
  phases?: JourneyPhase[] | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => DateRangeInput)
  @Field(() => DateRangeInput, { nullable: true })
  stayOverlaps?: DateRangeInput | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @MaxLength(2, { each: true })
  @Field(() => [String], { nullable: true })
  countries?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @MaxLength(35, { each: true })
  @Field(() => [String], { nullable: true })
  locales?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @MaxLength(50, { each: true })
  @Field(() => [String], { nullable: true })
  tagsAny?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @Field(() => [AmbassadorTier], { nullable: true })
  ambassadorTiers?: AmbassadorTier[] | null;

  @Field(() => Float, { nullable: true })
  minAmbassadorScore?: number | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => ConsentFilterInput)
  @Field(() => ConsentFilterInput, { nullable: true })
  hasConsent?: ConsentFilterInput | null;

  @Field(() => Date, { nullable: true })
  interactedSince?: Date | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @ValidateNested({ each: true })
  @Type(() => SegmentFilterInput)
  @Field(() => [SegmentFilterInput], { nullable: true })
  and?: SegmentFilterInput[] | null;

  @IsOptional()
  @ArrayMaxSize(MAX_LIST)
  @ValidateNested({ each: true })
  @Type(() => SegmentFilterInput)
  @Field(() => [SegmentFilterInput], { nullable: true })
  or?: SegmentFilterInput[] | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => SegmentFilterInput)
  @Field(() => SegmentFilterInput, { nullable: true })
  not?: SegmentFilterInput | null;
}

/** A filter that names no criterion (absent, or every field null) selects every visitor. */
export function isEmptyFilter(filter: SegmentFilterInput | null | undefined): boolean {
  return !filter || Object.values(filter).every((v) => v === null || v === undefined);
}

/** Until the segments issue compiles filters to SQL, `visitors` lists without one. */
export function assertNoFilterYet(filter: SegmentFilterInput | null | undefined): void {
  if (!isEmptyFilter(filter)) {
    throw badInput('filtering arrives with segments: call visitors without a filter for now', {
      argument: 'filter',
    });
  }
}
