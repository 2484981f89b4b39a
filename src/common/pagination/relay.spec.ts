import { AppError, ErrorCode } from '../errors/app-error.js';
import { decodeCursor, encodeCursor, pageRequest, toConnection } from './relay.js';

describe('relay pagination', () => {
  it('round-trips an opaque cursor of sort key and id', () => {
    const cursor = encodeCursor('2026-05-01T10:00:00.000Z', 'a1');
    expect(cursor).not.toContain('a1');
    expect(decodeCursor(cursor)).toEqual({ sortKey: '2026-05-01T10:00:00.000Z', id: 'a1' });
  });

  it.each(['garbage', encodeCursor(1, 'x').slice(2), Buffer.from('[1]').toString('base64url')])(
    'rejects a malformed cursor %s with BAD_USER_INPUT',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(AppError);
      try {
        decodeCursor(cursor);
      } catch (e) {
        expect((e as AppError).code).toBe(ErrorCode.BAD_USER_INPUT);
      }
    },
  );

  it('refuses page sizes outside 0..500', () => {
    expect(() => pageRequest({ first: -1 })).toThrow(AppError);
    expect(() => pageRequest({ first: 501 })).toThrow(AppError);
    expect(pageRequest({}).limit).toBe(50);
  });

  it('uses limit + 1 rows to know whether there is a next page', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const full = toConnection(rows, 2, 3, (r) => r.id);
    expect(full.edges.map((e) => e.node.id)).toEqual(['a', 'b']);
    expect(full.pageInfo.hasNextPage).toBe(true);
    expect(decodeCursor(full.pageInfo.endCursor!)).toEqual({ sortKey: 'b', id: 'b' });
    const last = toConnection(rows.slice(2), 2, 3, (r) => r.id);
    expect(last.pageInfo.hasNextPage).toBe(false);
    expect(toConnection([], 2, 0, (r: { id: string }) => r.id).pageInfo.endCursor).toBeNull();
  });
});
