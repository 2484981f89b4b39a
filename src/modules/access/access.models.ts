import { Field, ObjectType } from '@nestjs/graphql';
import { ApiKeyEntity } from './api-key.entity.js';
import { UserEntity } from './user.entity.js';

@ObjectType('AuthPayload')
export class AuthPayload {
  @Field()
  accessToken: string;

  @Field()
  expiresAt: Date;

  @Field(() => UserEntity)
  user: UserEntity;
}

@ObjectType('ApiKeyCreated')
export class ApiKeyCreated {
  @Field(() => ApiKeyEntity)
  apiKey: ApiKeyEntity;

  @Field({ description: 'Shown once; only its SHA-256 is stored.' })
  secret: string;
}

/** `destination` is resolved by the destinations module (it sits below access). */
@ObjectType('Viewer')
export class Viewer {
  destinationId: string;

  @Field(() => UserEntity, { nullable: true })
  user: UserEntity | null;

  @Field(() => ApiKeyEntity, { nullable: true })
  apiKey: ApiKeyEntity | null;
}
