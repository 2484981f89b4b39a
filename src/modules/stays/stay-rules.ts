import { badInput } from '../../common/errors/app-error.js';
import { assertId } from '../../common/validation.js';
import type { CreateVisitorInput } from '../visitors/visitor.inputs.js';
import { StayStatus, type StayEntity } from './stay.entity.js';
import type { StaySnapshot } from './stay.events.js';
import {
  MAX_EXTERNAL_REF_LENGTH,
  MAX_PARTY_SIZE,
  MAX_SOURCE_LENGTH,
  MIN_PARTY_SIZE,
  type StayInput,
} from './stay.inputs.js';

export const MAX_STAY_DAYS = 365;
const DAY_MS = 86_400_000;

/** A StayInput that passed the rules, normalised (trimmed source and reference). */
export interface CheckedStay {
  guest: { visitorId: string } | { visitor: CreateVisitorInput };
  arrivalAt: Date;
  departureAt: Date;
  /** undefined: keep what the stay has (on an update); null: none. */
  placeId: string | null | undefined;
  partySize: number | null | undefined;
  source: string;
  externalRef: string | null;
}

const isDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/**
 * The rules of a booking that need no database: exactly one of `visitorId` / `visitor`, departure
 * strictly after arrival, at most 365 days, party of 1 to 100, a non-blank source, a non-blank
 * reference when one is given, well-formed ids. Throws BAD_USER_INPUT naming the field.
 */
export function checkStayInput(input: StayInput): CheckedStay {
  const hasId = input.visitorId != null;
  const hasVisitor = input.visitor != null;
  if (hasId === hasVisitor) {
    throw badInput('Give exactly one of visitorId (an existing visitor) and visitor (the guest)', {
      field: hasId ? 'visitor' : 'visitorId',
    });
  }
  if (!isDate(input.arrivalAt)) throw badInput('arrivalAt is not a date', { field: 'arrivalAt' });
  if (!isDate(input.departureAt)) {
    throw badInput('departureAt is not a date', { field: 'departureAt' });
  }
  const length = input.departureAt.getTime() - input.arrivalAt.getTime();
  if (length <= 0) {
    throw badInput('departureAt must be after arrivalAt', { field: 'departureAt' });
  }
  if (length > MAX_STAY_DAYS * DAY_MS) {
    throw badInput(`A stay lasts at most ${MAX_STAY_DAYS} days`, { field: 'departureAt' });
  }
  if (
    input.partySize != null &&
    (!Number.isInteger(input.partySize) ||
      input.partySize < MIN_PARTY_SIZE ||
      input.partySize > MAX_PARTY_SIZE)
  ) {
    throw badInput(`partySize must be ${MIN_PARTY_SIZE} to ${MAX_PARTY_SIZE}`, {
      field: 'partySize',
    });
  }
  const source = (input.source ?? '').trim();
  if (!source || source.length > MAX_SOURCE_LENGTH) {
    throw badInput(`source must be 1 to ${MAX_SOURCE_LENGTH} characters`, { field: 'source' });
  }
  let externalRef: string | null = null;
  if (input.externalRef != null) {
    externalRef = input.externalRef.trim();
    if (!externalRef || externalRef.length > MAX_EXTERNAL_REF_LENGTH) {
      throw badInput(`externalRef must be 1 to ${MAX_EXTERNAL_REF_LENGTH} characters, or null`, {
        field: 'externalRef',
      });
    }
  }
  return {
    guest: hasId
      ? { visitorId: assertId(input.visitorId!, 'visitorId').toLowerCase() }
      : { visitor: input.visitor! },
    arrivalAt: input.arrivalAt,
    departureAt: input.departureAt,
    placeId:
      input.placeId == null ? input.placeId : assertId(input.placeId, 'placeId').toLowerCase(),
    partySize: input.partySize,
    source,
    externalRef,
  };
}

export function snapshotOf(stay: StayEntity): StaySnapshot {
  return {
    visitorId: stay.visitorId,
    arrivalAt: stay.arrivalAt,
    departureAt: stay.departureAt,
    status: stay.status,
  };
}

export type StayPatch = Partial<
  Pick<StayEntity, 'visitorId' | 'arrivalAt' | 'departureAt' | 'placeId' | 'partySize' | 'status'>
>;

/**
 * What a re-sent booking changes on the stored stay: the given fields that differ. A CANCELLED
 * stay sent again is booked again (the partner re-sends a booking that exists); BOOKED and
 * COMPLETED keep their status. Empty when the booking is the same (no write, no event).
 */
export function stayPatch(
  current: StayEntity,
  next: Omit<CheckedStay, 'guest' | 'source' | 'externalRef'> & { visitorId: string },
): StayPatch {
  const patch: StayPatch = {};
  if (next.visitorId !== current.visitorId) patch.visitorId = next.visitorId;
  if (next.arrivalAt.getTime() !== current.arrivalAt.getTime()) patch.arrivalAt = next.arrivalAt;
  if (next.departureAt.getTime() !== current.departureAt.getTime()) {
    patch.departureAt = next.departureAt;
  }
  if (next.placeId !== undefined && next.placeId !== current.placeId) patch.placeId = next.placeId;
  if (next.partySize !== undefined && next.partySize !== current.partySize) {
    patch.partySize = next.partySize;
  }
  if (current.status === StayStatus.CANCELLED) patch.status = StayStatus.BOOKED;
  return patch;
}
