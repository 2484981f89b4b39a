import { Field, InputType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import { Channel, ConsentPurpose } from './consent.entity.js';
import { SocialProvider } from './social-identity.entity.js';

@InputType('SocialIdentityInput')
export class SocialIdentityInput {
  @Field(() => SocialProvider)
  provider: SocialProvider;

  @IsOptional()
  @MaxLength(100)
  @Field(() => String, { nullable: true })
  handle?: string | null;

  @IsOptional()
  @MaxLength(100)
  @Field(() => String, { nullable: true })
  externalId?: string | null;
}

@InputType('ConsentInput')
export class ConsentInput {
  @Field(() => Channel, { nullable: true })
  channel?: Channel | null;

  @Field(() => ConsentPurpose)
  purpose: ConsentPurpose;

  @Field()
  granted: boolean;

  @MaxLength(100)
  @Field({ description: 'form, import, partner:<name>, unsubscribe-link ...' })
  source: string;
}

/** Profile fields shared by create and update; every one optional. */
@InputType({ isAbstract: true })
export class VisitorFieldsInput {
  @IsOptional()
  @MaxLength(100)
  @Field(() => String, { nullable: true })
  firstName?: string | null;

  @IsOptional()
  @MaxLength(100)
  @Field(() => String, { nullable: true })
  lastName?: string | null;

  @IsOptional()
  @MaxLength(254)
  @Field(() => String, { nullable: true })
  email?: string | null;

  @IsOptional()
  @MaxLength(32)
  @Field(() => String, { nullable: true })
  phone?: string | null;

  @IsOptional()
  @MaxLength(35)
  @Field(() => String, { nullable: true })
  locale?: string | null;

  @IsOptional()
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2' })
  countryCode?: string | null;

  @IsOptional()
  @Field(() => String, { nullable: true, description: 'IANA, e.g. Europe/Paris' })
  timeZone?: string | null;

  @IsOptional()
  @ArrayMaxSize(50)
  @MaxLength(50, { each: true })
  @Field(() => [String], { nullable: true })
  tags?: string[] | null;

  @IsOptional()
  @ArrayMaxSize(50)
  @Field(() => [String], {
    nullable: true,
    description: 'Interest slugs; replaces the declared set',
  })
  declaredInterests?: string[] | null;
}

@InputType('CreateVisitorInput')
export class CreateVisitorInput extends VisitorFieldsInput {
  @IsOptional()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => SocialIdentityInput)
  @Field(() => [SocialIdentityInput], { nullable: true })
  identities?: SocialIdentityInput[] | null;

  @IsOptional()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ConsentInput)
  @Field(() => [ConsentInput], { nullable: true })
  consents?: ConsentInput[] | null;
}

@InputType('UpdateVisitorInput')
export class UpdateVisitorInput extends VisitorFieldsInput {}
