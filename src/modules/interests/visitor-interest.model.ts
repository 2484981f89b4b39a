import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { EvidenceKind } from './interest-evidence.entity.js';
import { InterestEntity } from './interest.entity.js';

/**
 * A visitor's interest as the API shows it (contract type `VisitorInterest`): the materialised
 * score of `visitor_interests` with its interest. `Visitor.interests(top)` (visitors module)
 * answers these, from InterestsService.visitorInterests.
 */
@ObjectType('VisitorInterest')
export class VisitorInterestView {
  @Field(() => InterestEntity)
  interest: InterestEntity;

  @Field(() => Float, { description: '0..1, decays with time since the evidence' })
  score: number;

  @Field(() => Int)
  evidenceCount: number;

  @Field(() => Date)
  lastEvidenceAt: Date;

  @Field(() => [EvidenceKind], { description: 'The kinds of evidence behind the score' })
  sources: EvidenceKind[];
}

/** The same class under the contract's name. */
export { VisitorInterestView as VisitorInterest };
