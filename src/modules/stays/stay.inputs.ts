import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { CreateVisitorInput } from '../visitors/visitor.inputs.js';

export const MAX_SOURCE_LENGTH = 100;
export const MAX_EXTERNAL_REF_LENGTH = 200;
export const MIN_PARTY_SIZE = 1;
export const MAX_PARTY_SIZE = 100;

/**
 * A booking, as the office or a partner sends it. Shape limits here (class-validator, checked by
 * the global ValidationPipe); the rules (one visitor reference, dates, place) in stay-rules.ts.
 * On an update (same source and externalRef), an absent `placeId` / `partySize` keeps the stored
 * value and an explicit null clears it.
 */
@InputType('StayInput')
export class StayInput {
  @IsOptional()
  @MaxLength(36)
  @Field(() => ID, { nullable: true, description: 'An existing visitor; or send `visitor`' })
  visitorId?: string | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => CreateVisitorInput)
  @Field(() => CreateVisitorInput, {
    nullable: true,
    description: 'The guest, matched by e-mail (then social identity) or created',
  })
  visitor?: CreateVisitorInput | null;

  @Field()
  arrivalAt: Date;

  @Field({ description: 'After arrivalAt; a stay lasts at most 365 days' })
  departureAt: Date;

  @IsOptional()
  @MaxLength(36)
  @Field(() => ID, { nullable: true, description: 'The accommodation, a place of the destination' })
  placeId?: string | null;

  @IsOptional()
  @IsInt()
  @Min(MIN_PARTY_SIZE)
  @Max(MAX_PARTY_SIZE)
  @Field(() => Int, { nullable: true })
  partySize?: number | null;

  @MaxLength(MAX_SOURCE_LENGTH)
  @Field({ description: 'Who sends the booking: office, a booking engine, partner:<name>...' })
  source: string;

  @IsOptional()
  @MaxLength(MAX_EXTERNAL_REF_LENGTH)
  @Field(() => String, {
    nullable: true,
    description:
      "The partner's booking reference: the same (source, externalRef) again updates that stay",
  })
  externalRef?: string | null;
}
