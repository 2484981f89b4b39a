import { HttpException } from '@nestjs/common';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, ErrorCode } from './app-error.js';

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.BAD_USER_INPUT,
  401: ErrorCode.UNAUTHENTICATED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  429: ErrorCode.RATE_LIMITED,
};

/** Apollo's own codes for a request the client got wrong. */
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

const KNOWN = new Set<string>(Object.values(ErrorCode));

/** The pg error codes that mean the input, not the server, was wrong. */
const PG_INPUT_CODES: Record<string, ErrorCode> = {
  '22P02': ErrorCode.BAD_USER_INPUT, // invalid_text_representation (e.g. a malformed uuid)
  '23505': ErrorCode.CONFLICT, // unique_violation
};

export interface ErrorFormatOptions {
  exposeStack: boolean;
  onUnexpected?: (error: unknown) => void;
}

/**
 * The one place where errors become GraphQL errors: a coded AppError keeps its code and message,
 * client mistakes become BAD_USER_INPUT, and anything unexpected becomes a generic
 * INTERNAL_SERVER_ERROR without a stack trace (unless in development).
 */
export function formatGraphqlError(
  formatted: GraphQLFormattedError,
  error: unknown,
  options: ErrorFormatOptions,
): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };

  if (original instanceof AppError) {
    return {
      ...base,
      message: original.message,
      extensions: { code: original.code, ...(original.details ?? {}) },
    };
  }
  if (original instanceof HttpException) {
    const status = original.getStatus();
    const response = original.getResponse();
    const message =
      typeof response === 'object' && response && 'message' in response
        ? ([] as unknown[]).concat((response as { message: unknown }).message).join('; ')
        : original.message;
    const code = HTTP_STATUS_CODES[status];
    if (code) return { ...base, message, extensions: { code } };
  }
  const pgCode = (original as { code?: unknown } | undefined)?.code;
  if (typeof pgCode === 'string' && PG_INPUT_CODES[pgCode]) {
    const code = PG_INPUT_CODES[pgCode];
    return {
      ...base,
      message: code === ErrorCode.CONFLICT ? 'Already exists' : 'Invalid input',
      extensions: { code },
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string') {
    if (CLIENT_CODES.has(code)) {
      return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: code } };
    }
    if (KNOWN.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      return { ...base, extensions: { code } };
    }
  }
  options.onUnexpected?.(original);
  return {
    ...base,
    message: options.exposeStack ? formatted.message : 'Internal server error',
    extensions: {
      code: ErrorCode.INTERNAL_SERVER_ERROR,
      ...(options.exposeStack && original instanceof Error ? { stacktrace: original.stack } : {}),
    },
  };
}
