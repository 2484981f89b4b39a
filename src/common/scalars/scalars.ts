import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { GraphQLSignedDuration } from './duration.js';

/**
 * The contract's scalars: DateTime (RFC 3339 instant) and JSON from graphql-scalars, Duration
 * (signed ISO 8601: "-P7D", "PT2H30M") our own, canonical and stricter than graphql-scalars'
 * (which accepts "P1DT-2H"). A value that does not parse is refused by graphql-js before any
 * resolver runs, and the error formatter reports it as BAD_USER_INPUT.
 */
export const DateTimeScalar = GraphQLDateTime;
export const DurationScalar = GraphQLSignedDuration;
export const JSONScalar = GraphQLJSON;
