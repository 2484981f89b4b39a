import { AppError, ErrorCode } from '../../common/errors/app-error.js';
import { checkStayInput, MAX_STAY_DAYS, stayPatch } from './stay-rules.js';
import { StayStatus, type StayEntity } from './stay.entity.js';
import type { StayInput } from './stay.inputs.js';

const VISITOR = 'a0a31cf7-caaa-4383-bdb4-da0d316236e2';
const OTHER = 'b1b31cf7-caaa-4383-bdb4-da0d316236e2';
const PLACE = 'c2c31cf7-caaa-4383-bdb4-da0d316236e2';
const DAY = 86_400_000;
const arrivalAt = new Date('2026-07-01T14:00:00Z');

const input = (over: Partial<StayInput> = {}): StayInput => ({
  visitorId: VISITOR,
  arrivalAt,
  departureAt: new Date(arrivalAt.getTime() + 3 * DAY),
  source: 'office',
  ...over,
});

function refusal(over: Partial<StayInput>): { code: ErrorCode; field: unknown } {
  try {
    checkStayInput(input(over));
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    return { code: e.code, field: e.details?.field };
  }
  throw new Error('expected a refusal');
}

describe('checkStayInput', () => {
  it('accepts a booking and normalises source, reference and ids', () => {
    const checked = checkStayInput(
      input({
        visitorId: VISITOR.toUpperCase(),
        source: '  booking-engine ',
        externalRef: ' R-42 ',
        placeId: PLACE,
        partySize: 2,
      }),
    );
    expect(checked).toEqual({
      guest: { visitorId: VISITOR },
      arrivalAt,
      departureAt: new Date(arrivalAt.getTime() + 3 * DAY),
      placeId: PLACE,
      partySize: 2,
      source: 'booking-engine',
      externalRef: 'R-42',
    });
  });

  it('keeps absent optional fields absent (undefined keeps, null clears)', () => {
    const checked = checkStayInput(input({ partySize: null }));
    expect(checked.placeId).toBeUndefined();
    expect(checked.partySize).toBeNull();
    expect(checked.externalRef).toBeNull();
  });

  it('takes an inline guest instead of a visitor id', () => {
    const visitor = { email: 'guest@example.org' };
    expect(checkStayInput(input({ visitorId: null, visitor })).guest).toEqual({ visitor });
  });

  it('wants exactly one of visitorId and visitor', () => {
    expect(refusal({ visitor: { email: 'guest@example.org' } })).toEqual({
      code: ErrorCode.BAD_USER_INPUT,
      field: 'visitor',
    });
    expect(refusal({ visitorId: undefined })).toEqual({
      code: ErrorCode.BAD_USER_INPUT,
      field: 'visitorId',
    });
  });

  it('wants departure strictly after arrival, and at most 365 days', () => {
    expect(refusal({ departureAt: arrivalAt }).field).toBe('departureAt');
    expect(refusal({ departureAt: new Date(arrivalAt.getTime() - 1) }).field).toBe('departureAt');
    expect(
      refusal({ departureAt: new Date(arrivalAt.getTime() + MAX_STAY_DAYS * DAY + 1) }).field,
    ).toBe('departureAt');
    expect(() =>
      checkStayInput(input({ departureAt: new Date(arrivalAt.getTime() + MAX_STAY_DAYS * DAY) })),
    ).not.toThrow();
    expect(() =>
      checkStayInput(input({ departureAt: new Date(arrivalAt.getTime() + 1) })),
    ).not.toThrow();
    expect(refusal({ arrivalAt: new Date('nope') }).field).toBe('arrivalAt');
  });

  it('wants a party of 1 to 100', () => {
    expect(refusal({ partySize: 0 }).field).toBe('partySize');
    expect(refusal({ partySize: 101 }).field).toBe('partySize');
    expect(refusal({ partySize: 2.5 }).field).toBe('partySize');
    expect(checkStayInput(input({ partySize: 100 })).partySize).toBe(100);
  });

  it('wants a source and a non-blank reference', () => {
    expect(refusal({ source: '   ' }).field).toBe('source');
    expect(refusal({ externalRef: ' ' }).field).toBe('externalRef');
    expect(refusal({ externalRef: 'x'.repeat(201) }).field).toBe('externalRef');
  });

  it('refuses malformed ids before any query', () => {
    expect(refusal({ visitorId: '42' })).toEqual({
      code: ErrorCode.BAD_USER_INPUT,
      field: 'visitorId',
    });
    expect(refusal({ placeId: 'not-an-id' }).field).toBe('placeId');
  });
});

describe('stayPatch', () => {
  const stored = {
    id: 's1',
    visitorId: VISITOR,
    arrivalAt,
    departureAt: new Date(arrivalAt.getTime() + 3 * DAY),
    placeId: PLACE,
    partySize: 2,
    status: StayStatus.BOOKED,
  } as StayEntity;
  const same = {
    visitorId: VISITOR,
    arrivalAt: new Date(arrivalAt),
    departureAt: new Date(arrivalAt.getTime() + 3 * DAY),
    placeId: undefined,
    partySize: undefined,
  };

  it('is empty for the same booking', () => {
    expect(stayPatch(stored, same)).toEqual({});
    expect(stayPatch(stored, { ...same, placeId: PLACE, partySize: 2 })).toEqual({});
  });

  it('names what changed; null clears, undefined keeps', () => {
    const departureAt = new Date(arrivalAt.getTime() + 5 * DAY);
    expect(stayPatch(stored, { ...same, departureAt, partySize: null, visitorId: OTHER })).toEqual({
      departureAt,
      partySize: null,
      visitorId: OTHER,
    });
    expect(stayPatch(stored, { ...same, placeId: null })).toEqual({ placeId: null });
  });

  it('books a cancelled stay again; keeps COMPLETED', () => {
    expect(stayPatch({ ...stored, status: StayStatus.CANCELLED } as StayEntity, same)).toEqual({
      status: StayStatus.BOOKED,
    });
    expect(stayPatch({ ...stored, status: StayStatus.COMPLETED } as StayEntity, same)).toEqual({});
  });
});
