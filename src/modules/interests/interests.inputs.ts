import { ArgsType, Field } from '@nestjs/graphql';
import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { JSONScalar } from '../../common/scalars/scalars.js';

@ArgsType()
export class UpsertInterestArgs {
  @Field({ description: 'Lower-case words joined by "-", e.g. street-food' })
  slug: string;

  @Field(() => JSONScalar, {
    nullable: true,
    description: 'Locale → label, e.g. {"fr": "Gastronomie", "en": "Food"}',
  })
  labels?: unknown;

  @IsOptional()
  @ArrayMaxSize(500)
  @MaxLength(100, { each: true })
  @Field(() => [String], { nullable: true })
  keywords?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(100)
  @Field(() => [String], { nullable: true })
  hashtags?: string[] | null;

  @Field(() => String, { nullable: true, description: 'null detaches from the parent' })
  parentSlug?: string | null;
}
