import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { TenantScopedEntity } from '../destinations/tenant-scoped.entity.js';

export enum Role {
  ADMIN = 'ADMIN',
  MARKETER = 'MARKETER',
  ANALYST = 'ANALYST',
}
registerEnumType(Role, { name: 'Role' });

/** A person of the tourism office. Emails are unique across destinations: login names none. */
@ObjectType('User')
@Entity('users')
@Index(['destinationId'])
@Index('users_email_key', { synchronize: false }) // unique on lower(email), see migration
export class UserEntity extends TenantScopedEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column('text')
  email: string;

  /** scrypt$N$r$p$salt$hash (base64url). */
  @Column('text')
  passwordHash: string;

  @Field(() => Role)
  @Column({ type: 'enum', enum: Role, enumName: 'user_role' })
  role: Role;

  @Field()
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
