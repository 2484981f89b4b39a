import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { GqlContextType } from '@nestjs/graphql';

/**
 * Without a filter, Nest's ExternalExceptionFilter logs every error a resolver throws (even a
 * BAD_USER_INPUT AppError) and rethrows it, and formatGraphqlError then logs the unexpected ones
 * a second time. In GraphQL we hand the exception back untouched — graphql-js treats a returned
 * Error as thrown — so formatGraphqlError is the one place that maps codes and logs what is
 * unexpected. HTTP routes (/wall, /unsubscribe, /health) keep Nest's default handling.
 */
@Catch()
export class GraphqlExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType<GqlContextType>() === 'graphql') return exception;
    return super.catch(exception, host);
  }
}
