import { ArgsType, Field } from '@nestjs/graphql';
import { JSONScalar } from '../../common/scalars/scalars.js';

@ArgsType()
export class UpsertInterestArgs {
  @Field({ description: 'Lower-case words joined by "-", e.g. street-food' })
  slug: string;

  @Field(() => JSONScalar, { nullable: true, description: 'Locale → label, e.g. {"fr": "Gastronomie", "en": "Food"}' })
  labels?: unknown;

  @Field(() => [String], { nullable: true })
  keywords?: string[] | null;

  @Field(() => [String], { nullable: true })
  hashtags?: string[] | null;

  @Field(() => String, { nullable: true, description: 'null detaches from the parent' })
  parentSlug?: string | null;
}
