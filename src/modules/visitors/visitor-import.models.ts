import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('ImportRowError')
export class ImportRowError {
  /** The line of the file (the header is line 1); a record spanning lines names its first. */
  @Field(() => Int)
  line: number;

  /** Every reason the line was refused, `field: reason`. */
  @Field(() => [String])
  errors: string[];
}

@ObjectType('ImportReport')
export class ImportReport {
  @Field(() => Int)
  created: number;

  @Field(() => Int)
  updated: number;

  /** The refused lines, in file order; none of them changed anything. */
  @Field(() => [ImportRowError])
  rejected: ImportRowError[];
}

/**
 * After an import has committed: one event for the whole file rather than `visitor.changed` per
 * line, so that a listener can react with one set-based query instead of 50,000.
 */
export const VisitorImportEvents = {
  IMPORTED: 'visitor.imported',
} as const;

export interface VisitorsImportedEvent {
  destinationId: string;
  createdIds: string[];
  updatedIds: string[];
}
