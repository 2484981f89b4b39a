import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** The tenant: a tourism office. Every other table carries its id. */
@ObjectType('Destination')
@Entity('destinations')
export class DestinationEntity {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column('text')
  name: string;

  @Field({ description: 'IANA, e.g. Europe/Paris' })
  @Column('text')
  timeZone: string;

  @Field({ description: 'BCP 47, e.g. fr' })
  @Column('text')
  defaultLocale: string;

  @Field(() => [String], { description: "The office's own accounts, without '@'" })
  @Column('text', { array: true, default: () => "'{}'" })
  twitterHandles: string[];

  @Field(() => [String], { description: "Without '#', e.g. RennesSocialDerby" })
  @Column('text', { array: true, default: () => "'{}'" })
  trackedHashtags: string[];

  /** Local "HH:MM"; both set or both null. */
  @Column('text', { nullable: true })
  quietStart: string | null;

  @Column('text', { nullable: true })
  quietEnd: string | null;

  /** Days after the last stay during which a visitor is in the AFTER phase. */
  @Field(() => Int, { description: 'Days after a stay during which the visitor is AFTER' })
  @Column('integer', { default: 90 })
  afterStayDays: number;

  /** Words that keep a post off the showroom wall (matched on normalised text). */
  @Column('text', { array: true, default: () => "'{}'" })
  wallBlocklist: string[];

  /** Salt of the suppression list's address hashes; never leaves the database. */
  @Column('text')
  secretSalt: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

@ObjectType('QuietHours')
export class QuietHours {
  @Field({ description: 'Local "HH:MM"' })
  start: string;

  @Field()
  end: string;
}
