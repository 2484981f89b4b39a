import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';

export enum ApiScope {
  READ_AGGREGATES = 'READ_AGGREGATES',
  READ_PROFILES = 'READ_PROFILES',
  WRITE_INTERACTIONS = 'WRITE_INTERACTIONS',
  WRITE_STAYS = 'WRITE_STAYS',
}
registerEnumType(ApiScope, { name: 'ApiScope' });

/** A partner's key. Only the SHA-256 of the secret is kept; the prefix lets people recognise it. */
@ObjectType('ApiKey')
@Entity('api_keys')
@Index(['destinationId'])
export class ApiKeyEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column('text')
  name: string;

  @Field()
  @Column('text')
  prefix: string;

  @Index({ unique: true })
  @Column('text')
  secretHash: string;

  @Field(() => [ApiScope])
  @Column({ type: 'enum', enum: ApiScope, enumName: 'api_scope', array: true })
  scopes: ApiScope[];

  @Field()
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  @Column('timestamptz', { nullable: true })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;
}
