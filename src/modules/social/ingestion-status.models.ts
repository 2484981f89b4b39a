import { Field, ObjectType } from '@nestjs/graphql';
import { TrackedSourceEntity } from '../destinations/tracked-source.entity.js';

@ObjectType('IngestionStatus')
export class IngestionStatus {
  @Field(() => [TrackedSourceEntity])
  sources: TrackedSourceEntity[];

  @Field(() => Date, { nullable: true })
  lastRunAt: Date | null;

  @Field(() => String, { nullable: true })
  lastError: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Set while the social API has told us to wait',
  })
  rateLimitResetAt: Date | null;
}
