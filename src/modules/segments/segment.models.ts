import { Field, Int, ObjectType } from '@nestjs/graphql';
import { VisitorEntity } from '../visitors/visitor.entity.js';

@ObjectType('CountByKey')
export class CountByKey {
  @Field()
  key: string;

  @Field(() => Int)
  count: number;
}

/** `previewSegment`: exact numbers, for the office's staff (who may see the visitors). */
@ObjectType('SegmentPreview')
export class SegmentPreview {
  @Field(() => Int, { description: 'Exact number of visitors the filter selects' })
  count: number;

  @Field(() => [VisitorEntity], { description: 'The 10 most recently created of them' })
  sample: VisitorEntity[];

  @Field(() => [CountByKey], {
    description: 'Visitors per interest with a score >= the filter minInterestScore (0.2)',
  })
  byInterest: CountByKey[];

  @Field(() => [CountByKey], { description: 'Visitors per country; "unknown" without one' })
  byCountry: CountByKey[];

  @Field(() => [CountByKey], { description: 'Visitors per journey phase, now' })
  byPhase: CountByKey[];
}

/**
 * `audienceInsights`: counts only, protected so that no person can be singled out (groups under
 * 5 folded into "other", noisy thresholds, numbers rounded to 5; see audience-insights.policy.ts).
 */
@ObjectType('AudienceInsights')
export class AudienceInsights {
  @Field(() => Int, { description: 'A multiple of 5; 0 when too few visitors to show anything' })
  visitorCount: number;

  @Field(() => [CountByKey])
  byInterest: CountByKey[];

  @Field(() => [CountByKey])
  byCountry: CountByKey[];

  @Field(() => [CountByKey])
  byPhase: CountByKey[];

  @Field(() => [CountByKey])
  byTier: CountByKey[];
}
