import { GraphQLDateTime, GraphQLDuration, GraphQLJSON } from 'graphql-scalars';

/**
 * The contract's scalars, from graphql-scalars: DateTime (RFC 3339 instant), Duration (ISO 8601,
 * signed: "-P7D", "PT2H30M") and JSON. A value that does not parse is refused by graphql-js before
 * any resolver runs, and the error formatter reports it as BAD_USER_INPUT.
 */
export const DateTimeScalar = GraphQLDateTime;
export const DurationScalar = GraphQLDuration;
export const JSONScalar = GraphQLJSON;
