import { jest } from '@jest/globals';
import { ForbiddenException, HttpException, NotFoundException } from '@nestjs/common';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { QueryFailedError } from 'typeorm';
import { AppError, badInput, conflict, ErrorCode } from './app-error.js';
import { formatGraphqlError, type ErrorFormatOptions } from './format-graphql-error.js';

const location = { locations: [{ line: 1, column: 3 }], path: ['doSomething'] };

/** What Apollo does: wrap the thrown error in a GraphQLError, format it, then call formatError. */
function format(
  thrown: unknown,
  options: ErrorFormatOptions = { exposeStack: false },
  extensions: Record<string, unknown> = { code: 'INTERNAL_SERVER_ERROR' },
) {
  const error =
    thrown instanceof GraphQLError
      ? thrown
      : new GraphQLError(thrown instanceof Error ? thrown.message : String(thrown), {
          path: ['doSomething'],
          originalError: thrown instanceof Error ? thrown : undefined,
        });
  const formatted: GraphQLFormattedError = {
    message: error.message,
    ...location,
    extensions: {
      ...extensions,
      ...(thrown instanceof Error ? { stacktrace: thrown.stack?.split('\n') } : {}),
    },
  };
  return formatGraphqlError(formatted, error, options);
}

describe('formatGraphqlError', () => {
  it('keeps the code, message and details of an AppError', () => {
    const result = format(badInput('offset is not a duration', { field: 'offset', value: 'P' }));
    expect(result).toEqual({
      message: 'offset is not a duration',
      ...location,
      extensions: { code: 'BAD_USER_INPUT', field: 'offset', value: 'P' },
    });
    expect(format(conflict('Already tracked')).extensions).toEqual({ code: 'CONFLICT' });
  });

  it('formats an AppError given directly (not wrapped in a GraphQLError)', () => {
    const appError = new AppError(ErrorCode.RATE_LIMITED, 'Slow down', { retryAfterSeconds: 30 });
    const direct = formatGraphqlError({ message: 'Slow down' }, appError, { exposeStack: false });
    expect(direct.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 30 });
  });

  it('hides an unexpected error behind INTERNAL_SERVER_ERROR, without its stack', () => {
    const onUnexpected = jest.fn();
    const secret = new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2');
    const result = format(secret, { exposeStack: false, onUnexpected });
    expect(result).toEqual({
      message: 'Internal server error',
      ...location,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(JSON.stringify(result)).not.toContain('stacktrace');
    expect(onUnexpected).toHaveBeenCalledWith(secret);
  });

  it('hides a thrown non-Error value too', () => {
    const result = format('a string', { exposeStack: false });
    expect(result.message).toBe('Internal server error');
    expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('shows the message and the stack of an unexpected error only when exposeStack is set', () => {
    const error = new Error('boom');
    const result = format(error, { exposeStack: true });
    expect(result.message).toBe('boom');
    expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', stacktrace: error.stack });
  });

  it.each([
    'GRAPHQL_VALIDATION_FAILED',
    'GRAPHQL_PARSE_FAILED',
    'BAD_USER_INPUT',
    'PERSISTED_QUERY_NOT_FOUND',
    'OPERATION_RESOLUTION_FAILURE',
    'BAD_REQUEST',
  ])('reports Apollo %s as BAD_USER_INPUT with its message', (code) => {
    const onUnexpected = jest.fn();
    const error = new GraphQLError('Cannot query field "nope" on type "Query".', {
      extensions: { code },
    });
    const result = format(error, { exposeStack: false, onUnexpected }, { code });
    expect(result.message).toBe('Cannot query field "nope" on type "Query".');
    expect(result.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: code });
    expect(onUnexpected).not.toHaveBeenCalled();
  });

  it('maps a PostgreSQL unique violation to CONFLICT without the constraint details', () => {
    const pgError = Object.assign(
      new Error('duplicate key value violates unique constraint "users_email_key"'),
      { code: '23505', detail: 'Key (lower(email))=(a@example.org) already exists.' },
    );
    for (const thrown of [pgError, new QueryFailedError('INSERT ...', [], pgError)]) {
      const result = format(thrown);
      expect(result.extensions).toEqual({ code: 'CONFLICT' });
      expect(result.message).toBe('Already exists');
      expect(JSON.stringify(result)).not.toContain('a@example.org');
    }
  });

  it('maps a PostgreSQL invalid text representation (malformed uuid) to BAD_USER_INPUT', () => {
    const pgError = Object.assign(new Error('invalid input syntax for type uuid: "x"'), {
      code: '22P02',
    });
    expect(format(pgError).extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it('does not mistake another PostgreSQL error for a client error', () => {
    const pgError = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    expect(format(pgError).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(format(new ForbiddenException('Not yours'))).toEqual({
      message: 'Not yours',
      ...location,
      extensions: { code: 'FORBIDDEN' },
    });
    expect(format(new HttpException('Forbidden', 403)).extensions).toEqual({ code: 'FORBIDDEN' });
    expect(format(new NotFoundException()).extensions).toEqual({ code: 'NOT_FOUND' });
    const validation = format(
      new HttpException({ message: ['name is too long', 'email is invalid'] }, 400),
    );
    expect(validation.message).toBe('name is too long; email is invalid');
    expect(validation.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it('hides an HTTP exception whose status means a server fault', () => {
    const result = format(new HttpException('upstream exploded', 502));
    expect(result.message).toBe('Internal server error');
    expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('keeps a known client code set on a GraphQLError', () => {
    const error = new GraphQLError('Authentication required', {
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const result = format(error, { exposeStack: false }, { code: 'UNAUTHENTICATED' });
    expect(result.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect(result.message).toBe('Authentication required');
  });
});
