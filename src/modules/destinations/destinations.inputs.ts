import { ArgsType, Field, Float, ID } from '@nestjs/graphql';
import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { PlaceKind } from './place.entity.js';

/** Absent arguments are left as they are; quietStart/quietEnd set to null clear the quiet hours. */
@ArgsType()
export class UpdateDestinationArgs {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  timeZone?: string | null;

  @Field(() => String, { nullable: true })
  defaultLocale?: string | null;

  @IsOptional()
  @ArrayMaxSize(20)
  @Field(() => [String], { nullable: true })
  twitterHandles?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(50)
  @Field(() => [String], { nullable: true })
  trackedHashtags?: string[] | null;

  @Field(() => String, { nullable: true })
  quietStart?: string | null;

  @Field(() => String, { nullable: true })
  quietEnd?: string | null;
}

@ArgsType()
export class UpsertPlaceArgs {
  @Field(() => ID, {
    nullable: true,
    description:
      'Update this place; without it, the place of the same name (any case) is updated, or a new one created',
  })
  id?: string | null;

  @MaxLength(200)
  @Field()
  name: string;

  @Field(() => PlaceKind)
  kind: PlaceKind;

  @Field(() => String, { nullable: true })
  twitterHandle?: string | null;

  @Field(() => Float, { nullable: true })
  latitude?: number | null;

  @Field(() => Float, { nullable: true })
  longitude?: number | null;

  @IsOptional()
  @ArrayMaxSize(50)
  @Field(() => [String], {
    nullable: true,
    description: 'Interest slugs; replaces the list when given',
  })
  interestSlugs?: string[] | null;
}
