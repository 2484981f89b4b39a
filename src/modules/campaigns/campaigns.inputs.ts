import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsInt,
  IsOptional,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { DurationScalar } from '../../common/scalars/scalars.js';
import { Channel } from '../visitors/consent.entity.js';
import { CampaignKind } from './campaign.entity.js';
import { StepAnchor } from './campaign-step.entity.js';

export const MAX_STEPS = 20;
export const MAX_VARIANTS = 20;
export const MAX_TEMPLATE = 50_000;

@InputType('TemplateVariantInput')
export class TemplateVariantInput {
  @Field()
  @MaxLength(35)
  locale: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(500)
  subject?: string | null;

  @Field()
  @MaxLength(MAX_TEMPLATE)
  body: string;
}

@InputType('CampaignStepInput')
export class CampaignStepInput {
  @Field()
  @MaxLength(100)
  name: string;

  @Field(() => Channel)
  channel: Channel;

  @Field(() => StepAnchor)
  anchor: StepAnchor;

  @Field(() => DurationScalar, { description: 'Signed ISO 8601 from the anchor: -P7D, PT2H' })
  offset: string;

  @Field(() => String, { nullable: true, description: 'Local "HH:MM"' })
  @IsOptional()
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'localSendTime must be "HH:MM"' })
  localSendTime?: string | null;

  @Field(() => [TemplateVariantInput])
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VARIANTS)
  @ValidateNested({ each: true })
  @Type(() => TemplateVariantInput)
  variants: TemplateVariantInput[];
}

@InputType('CreateCampaignInput')
export class CreateCampaignInput {
  @Field()
  @MaxLength(100)
  name: string;

  @Field(() => CampaignKind)
  kind: CampaignKind;

  @Field(() => ID, { nullable: true, description: 'A saved segment; none means every visitor' })
  @IsOptional()
  segmentId?: string | null;

  @Field(() => Date, { nullable: true, description: 'BROADCAST: when to send' })
  @IsOptional()
  sendAt?: Date | null;

  @Field(() => [CampaignStepInput])
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STEPS)
  @ValidateNested({ each: true })
  @Type(() => CampaignStepInput)
  steps: CampaignStepInput[];

  @Field(() => Int, { nullable: true, description: 'Per visitor, across campaigns' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  frequencyCapPerWeek?: number | null;
}
