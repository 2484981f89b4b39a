import { jest } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { Clock } from '../../src/common/clock/clock.js';
import { Role } from '../../src/modules/access/user.entity.js';
import {
  StayEvents,
  type StayCancelledEvent,
  type StayChangedEvent,
} from '../../src/modules/stays/stay.events.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Headers = Record<string, string>;

/** What the campaigns module will do: listen to the stays' domain events. */
@Injectable()
class StayEventsProbe {
  readonly changed: StayChangedEvent[] = [];
  readonly cancelled: StayCancelledEvent[] = [];

  @OnEvent(StayEvents.CHANGED)
  onChanged(event: StayChangedEvent) {
    this.changed.push(event);
  }

  @OnEvent(StayEvents.CANCELLED)
  onCancelled(event: StayCancelledEvent) {
    this.cancelled.push(event);
  }
}

@Module({ providers: [StayEventsProbe] })
class StayEventsProbeModule {}

const STAY_FIELDS =
  'id arrivalAt departureAt partySize status source externalRef visitor { id email } place { id name }';
const UPSERT = `mutation($input: StayInput!) { upsertStay(input: $input) { ${STAY_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelStay(id: $id) { ${STAY_FIELDS} } }`;
const VISITOR = `query($id: ID!) { visitor(id: $id) { id phase stays { ${STAY_FIELDS} } } }`;
const PHASE = 'query($id: ID!) { visitor(id: $id) { phase } }';
const CREATE_VISITOR =
  'mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { id } }';
const UPSERT_PLACE =
  'mutation($name: String!) { upsertPlace(name: $name, kind: ACCOMMODATION) { id name } }';

const SECOND = 1000;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('stays (e2e)', () => {
  let app: TestApp;
  let db: DataSource;
  let clock: Clock;
  let probe: StayEventsProbe;
  let a: Seeded;
  let b: Seeded;
  let placeA: { id: string; name: string };
  let placeB: { id: string; name: string };
  let visitorA: string;
  let visitorB: string;
  let ref = 0;
  const nextRef = () => `R-${++ref}`;

  const ok = <T = Record<string, any>>(q: string, v: Record<string, unknown>, h: Headers) =>
    app.ok<T>(q, v, h);
  const fails = (q: string, v: Record<string, unknown>, h: Headers) => app.fails(q, v, h);
  const upsert = async (input: Record<string, unknown>, headers: Headers = a.admin) =>
    (await ok(UPSERT, { input }, headers)).upsertStay;
  const createVisitor = async (headers: Headers, input: Record<string, unknown> = {}) =>
    (await ok(CREATE_VISITOR, { input }, headers)).createVisitor.id as string;
  const apiKey = async (headers: Headers, name: string, scope: string) => {
    const created = await ok(
      `mutation { createApiKey(name: "${name}", scopes: [${scope}]) { secret } }`,
      {},
      headers,
    );
    return { 'x-api-key': created.createApiKey.secret as string };
  };
  const count = async (sql: string, params: unknown[]) =>
    Number((await db.query(sql, params))[0].count);
  const staysIn = (destinationId: string) =>
    count('SELECT count(*) FROM stays WHERE destination_id = $1', [destinationId]);
  const visitorsIn = (destinationId: string) =>
    count('SELECT count(*) FROM visitors WHERE destination_id = $1', [destinationId]);
  /** A stay from `start` for `days` days, for `visitorId`. */
  const stay = (
    visitorId: string,
    start: number,
    days = 3,
    extra: Record<string, unknown> = {},
  ) => ({
    visitorId,
    arrivalAt: iso(start),
    departureAt: iso(start + days * DAY),
    source: 'office',
    ...extra,
  });
  /** Runs `fn` with the app's Clock stopped at `at` (every service reads now from it). */
  async function at<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    const spy = jest.spyOn(clock, 'now').mockImplementation(() => new Date(ms));
    try {
      return await fn();
    } finally {
      spy.mockRestore();
    }
  }
  const phaseAt = (ms: number, id: string) =>
    at(ms, async () => (await ok(PHASE, { id }, a.admin)).visitor.phase as string);

  beforeAll(async () => {
    app = await startTestApp({ imports: [StayEventsProbeModule] });
    db = app.runtime.app.get(DataSource);
    clock = app.runtime.app.get(Clock);
    probe = app.runtime.app.get(StayEventsProbe);
    a = await seedDestination(app, 'Rennes');
    b = await seedDestination(app, 'Saint-Malo');
    placeA = (await ok(UPSERT_PLACE, { name: 'Hôtel Lecoq-Gadby' }, a.admin)).upsertPlace;
    placeB = (await ok(UPSERT_PLACE, { name: 'Hôtel du Louvre' }, b.admin)).upsertPlace;
    visitorA = await createVisitor(a.admin, { firstName: 'Anne', email: 'anne@example.org' });
    visitorB = await createVisitor(b.admin, { firstName: 'Bob', email: 'bob@example.org' });
  });
  afterAll(() => app?.stop());

  describe('upsertStay', () => {
    it('creates a stay with its visitor and place, listed by Visitor.stays', async () => {
      const start = Date.UTC(2031, 6, 1, 14);
      const externalRef = nextRef();
      const created = await upsert(
        stay(visitorA, start, 3, { placeId: placeA.id, partySize: 2, externalRef }),
      );
      expect(created).toEqual({
        id: expect.any(String),
        arrivalAt: iso(start),
        departureAt: iso(start + 3 * DAY),
        partySize: 2,
        status: 'BOOKED',
        source: 'office',
        externalRef,
        visitor: { id: visitorA, email: 'anne@example.org' },
        place: placeA,
      });
      const { visitor } = await ok(VISITOR, { id: visitorA }, a.admin);
      expect(visitor.stays.map((s: { id: string }) => s.id)).toContain(created.id);
    });

    it('updates the same booking sent twice: same id, new fields, one row', async () => {
      const start = Date.UTC(2031, 7, 1, 14);
      const externalRef = nextRef();
      const first = await upsert(stay(visitorA, start, 2, { externalRef, partySize: 2 }));
      const before = await staysIn(a.destination.id);
      const second = await upsert(
        stay(visitorA, start + DAY, 4, { externalRef, partySize: 3, placeId: placeA.id }),
      );
      expect(second).toMatchObject({
        id: first.id,
        arrivalAt: iso(start + DAY),
        departureAt: iso(start + 5 * DAY),
        partySize: 3,
        place: placeA,
        status: 'BOOKED',
      });
      expect(await staysIn(a.destination.id)).toBe(before);
      expect(
        await count('SELECT count(*) FROM stays WHERE source = $1 AND external_ref = $2', [
          'office',
          externalRef,
        ]),
      ).toBe(1);
      // Absent optional fields keep their value; null clears.
      const third = await upsert(stay(visitorA, start + DAY, 4, { externalRef }));
      expect(third).toMatchObject({ id: first.id, partySize: 3, place: placeA });
      const cleared = await upsert(stay(visitorA, start + DAY, 4, { externalRef, placeId: null }));
      expect(cleared).toMatchObject({ id: first.id, partySize: 3, place: null });
    });

    it('without externalRef, every booking is a new stay', async () => {
      const start = Date.UTC(2031, 8, 1, 14);
      const one = await upsert(stay(visitorA, start));
      const two = await upsert(stay(visitorA, start));
      expect(one.id).not.toBe(two.id);
      expect(one.externalRef).toBeNull();
    });

    it('lets a WRITE_STAYS partner send the guest inline twice: one visitor, one stay', async () => {
      const partner = await apiKey(a.admin, 'Hotel Lecoq', 'WRITE_STAYS');
      const start = Date.UTC(2031, 9, 1, 14);
      const booking = {
        visitor: { firstName: 'Gwen', email: 'Gwen.Le-Goff@Example.ORG' },
        arrivalAt: iso(start),
        departureAt: iso(start + 2 * DAY),
        source: 'hotel-lecoq',
        externalRef: 'HL-2031-001',
        partySize: 2,
      };
      const visitors = await visitorsIn(a.destination.id);
      const first = await upsert(booking, partner);
      // A partner without READ_PROFILES never reads back what Escale holds on an address.
      expect(first.visitor.email).toBe('g***@example.org');
      const names = await ok(
        `mutation($input: StayInput!) { upsertStay(input: $input) { visitor { firstName lastName displayName } } }`,
        { input: booking },
        partner,
      );
      expect(names.upsertStay.visitor.firstName).toBeNull();
      expect(names.upsertStay.visitor.displayName).not.toContain('Gwen');
      const second = await upsert(
        {
          ...booking,
          visitor: { email: 'gwen.le-goff@example.org', lastName: 'Le Goff' },
          partySize: 3,
        },
        partner,
      );
      expect(second).toMatchObject({ id: first.id, partySize: 3, source: 'hotel-lecoq' });
      expect(second.visitor.id).toBe(first.visitor.id);
      expect(await visitorsIn(a.destination.id)).toBe(visitors + 1);
      expect(
        await count('SELECT count(*) FROM stays WHERE destination_id = $1 AND external_ref = $2', [
          a.destination.id,
          'HL-2031-001',
        ]),
      ).toBe(1);
      // The guest is known to the office, with the partner's data filled in.
      const guest = await ok(
        'query($id: ID!) { visitor(id: $id) { firstName lastName email stays { id } } }',
        { id: first.visitor.id },
        a.admin,
      );
      expect(guest.visitor).toEqual({
        firstName: 'Gwen',
        lastName: 'Le Goff',
        email: 'gwen.le-goff@example.org',
        stays: [{ id: first.id }],
      });
    });

    it("refuses one partner's key to change or cancel another partner's booking", async () => {
      const hotel = await apiKey(a.admin, 'Hotel des Lices', 'WRITE_STAYS');
      const rival = await apiKey(a.admin, 'Rival engine', 'WRITE_STAYS');
      const start = Date.UTC(2031, 9, 10, 14);
      const booking = {
        visitor: { email: 'owned-booking@example.org' },
        arrivalAt: iso(start),
        departureAt: iso(start + 2 * DAY),
        source: 'shared-channel',
        externalRef: 'SC-1',
        partySize: 2,
      };
      const mine = await upsert(booking, hotel);
      const hijack = await fails(
        UPSERT,
        { input: { ...booking, departureAt: iso(start + 9 * DAY), partySize: 9 } },
        rival,
      );
      expect(hijack.extensions.code).toBe('CONFLICT');
      expect((await fails(CANCEL, { id: mine.id }, rival)).extensions.code).toBe('CONFLICT');
      const unchanged = await ok(
        'query($id: ID!) { visitor(id: $id) { stays { id status partySize departureAt } } }',
        { id: mine.visitor.id },
        a.admin,
      );
      expect(unchanged.visitor.stays).toEqual([
        { id: mine.id, status: 'BOOKED', partySize: 2, departureAt: iso(start + 2 * DAY) },
      ]);
      // The owner, and the office's staff, still can.
      expect((await upsert({ ...booking, partySize: 3 }, hotel)).partySize).toBe(3);
      expect((await ok(CANCEL, { id: mine.id }, a.admin)).cancelStay.status).toBe('CANCELLED');
    });

    it('matches an inline guest to the visitor the office already has (by e-mail)', async () => {
      const partner = await apiKey(a.admin, 'Booking engine', 'WRITE_STAYS');
      const start = Date.UTC(2031, 10, 1, 14);
      const created = await upsert(
        {
          visitor: { email: 'ANNE@example.org' },
          arrivalAt: iso(start),
          departureAt: iso(start + DAY),
          source: 'booking-engine',
          externalRef: nextRef(),
        },
        partner,
      );
      expect(created.visitor.id).toBe(visitorA);
      // By id, a key only names visitors it may see (PROFILING consent, see visitor-access.ts).
      const byId = await fails(
        UPSERT,
        { input: stay(visitorA, start, 1, { source: 'booking-engine', externalRef: nextRef() }) },
        partner,
      );
      expect(byId.extensions.code).toBe('NOT_FOUND');
    });

    it('stays safe when the same new booking arrives several times at once', async () => {
      const partner = await apiKey(a.admin, 'Flaky partner', 'WRITE_STAYS');
      const start = Date.UTC(2031, 11, 1, 14);
      const booking = {
        visitor: { email: 'concurrent@example.org' },
        arrivalAt: iso(start),
        departureAt: iso(start + DAY),
        source: 'flaky',
        externalRef: 'F-1',
      };
      const results = await Promise.all(
        Array.from({ length: 5 }, () => app.gql(UPSERT, { input: booking }, partner)),
      );
      for (const res of results) expect(res.errors).toBeUndefined();
      expect(new Set(results.map((r) => r.data.upsertStay.id)).size).toBe(1);
      expect(new Set(results.map((r) => r.data.upsertStay.visitor.id)).size).toBe(1);
      expect(
        await count('SELECT count(*) FROM visitors WHERE email = $1', ['concurrent@example.org']),
      ).toBe(1);
      expect(await count('SELECT count(*) FROM stays WHERE source = $1', ['flaky'])).toBe(1);
      // The same with a known visitor: the unique index decides, the losers update.
      const known = stay(visitorA, start, 2, { source: 'flaky', externalRef: 'F-2' });
      const again = await Promise.all(
        Array.from({ length: 5 }, () => app.gql(UPSERT, { input: known }, a.admin)),
      );
      for (const res of again) expect(res.errors).toBeUndefined();
      expect(new Set(again.map((r) => r.data.upsertStay.id)).size).toBe(1);
      expect(await count('SELECT count(*) FROM stays WHERE source = $1', ['flaky'])).toBe(2);
    });

    it('is FORBIDDEN to READ_AGGREGATES keys and to analysts', async () => {
      const reader = await apiKey(a.admin, 'Statistics', 'READ_AGGREGATES');
      const analyst = await a.as(Role.ANALYST);
      const input = stay(visitorA, Date.UTC(2032, 0, 1), 1, { externalRef: nextRef() });
      for (const headers of [reader, analyst]) {
        expect((await fails(UPSERT, { input }, headers)).extensions.code).toBe('FORBIDDEN');
      }
      const { id } = await upsert(stay(visitorA, Date.UTC(2032, 0, 5)));
      expect((await fails(CANCEL, { id }, reader)).extensions.code).toBe('FORBIDDEN');
      // A marketer may.
      const marketer = await a.as(Role.MARKETER);
      expect((await upsert(input, marketer)).status).toBe('BOOKED');
    });

    it('refuses bad bookings with BAD_USER_INPUT or NOT_FOUND, and changes nothing', async () => {
      const start = Date.UTC(2032, 1, 1, 14);
      const externalRef = nextRef();
      const existing = await upsert(stay(visitorA, start, 2, { externalRef }));
      const stays = await staysIn(a.destination.id);
      const visitors = await visitorsIn(a.destination.id);
      const guest = { email: 'never-created@example.org' };
      const base = stay(visitorA, start + 10 * DAY, 2, { externalRef });
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['departure before arrival', { departureAt: iso(start + 9 * DAY) }, 'BAD_USER_INPUT'],
        ['departure at arrival', { departureAt: base.arrivalAt }, 'BAD_USER_INPUT'],
        [
          'longer than 365 days',
          { departureAt: iso(start + 10 * DAY + 365 * DAY + SECOND) },
          'BAD_USER_INPUT',
        ],
        ['both visitor fields', { visitor: guest }, 'BAD_USER_INPUT'],
        ['neither visitor field', { visitorId: null }, 'BAD_USER_INPUT'],
        ['a place of another destination', { placeId: placeB.id }, 'NOT_FOUND'],
        ['an unknown place', { placeId: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND'],
        ['a malformed place id', { placeId: 'hotel' }, 'BAD_USER_INPUT'],
        ['a visitor of another destination', { visitorId: visitorB }, 'NOT_FOUND'],
        ['party of 0', { partySize: 0 }, 'BAD_USER_INPUT'],
        ['party of 101', { partySize: 101 }, 'BAD_USER_INPUT'],
        ['a blank source', { source: '  ' }, 'BAD_USER_INPUT'],
        ['a malformed date', { arrivalAt: 'tomorrow' }, 'BAD_USER_INPUT'],
        // The inline guest would be created, but the place is wrong: all is rolled back.
        [
          'an inline guest with a bad place',
          { visitorId: null, visitor: guest, placeId: placeB.id },
          'NOT_FOUND',
        ],
      ];
      for (const [name, change, code] of cases) {
        const error = await fails(UPSERT, { input: { ...base, ...change } }, a.admin);
        expect({ name, code: error.extensions.code }).toEqual({ name, code });
      }
      expect(await staysIn(a.destination.id)).toBe(stays);
      expect(await visitorsIn(a.destination.id)).toBe(visitors);
      const { visitor } = await ok(VISITOR, { id: visitorA }, a.admin);
      const unchanged = visitor.stays.find((s: { id: string }) => s.id === existing.id);
      expect(unchanged).toEqual(existing);
    });

    it('keeps destinations apart: the same (source, externalRef) elsewhere is another booking', async () => {
      const start = Date.UTC(2032, 2, 1, 14);
      const inA = await upsert(stay(visitorA, start, 2, { externalRef: 'SHARED-1' }));
      const inB = await upsert(stay(visitorB, start, 5, { externalRef: 'SHARED-1' }), b.admin);
      expect(inB.id).not.toBe(inA.id);
      const { visitor } = await ok(VISITOR, { id: visitorA }, a.admin);
      expect(visitor.stays.find((s: { id: string }) => s.id === inA.id).departureAt).toBe(
        iso(start + 2 * DAY),
      );
      // b cannot see or cancel a's stays, nor a's visitors.
      expect((await fails(CANCEL, { id: inA.id }, b.admin)).extensions.code).toBe('NOT_FOUND');
      expect((await fails(VISITOR, { id: visitorA }, b.admin)).extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('cancelStay', () => {
    it('cancels, idempotently; a re-sent booking books it again', async () => {
      const start = Date.UTC(2032, 3, 1, 14);
      const externalRef = nextRef();
      const booked = await upsert(stay(visitorA, start, 2, { externalRef }));
      const cancelled = (await ok(CANCEL, { id: booked.id }, a.admin)).cancelStay;
      expect(cancelled).toEqual({ ...booked, status: 'CANCELLED' });
      const again = (await ok(CANCEL, { id: booked.id }, a.admin)).cancelStay;
      expect(again.status).toBe('CANCELLED');
      const rebooked = await upsert(stay(visitorA, start, 2, { externalRef }));
      expect(rebooked).toMatchObject({ id: booked.id, status: 'BOOKED' });
    });

    it('answers NOT_FOUND for unknown ids and BAD_USER_INPUT for malformed ones', async () => {
      const unknown = await fails(CANCEL, { id: '00000000-0000-4000-8000-000000000000' }, a.admin);
      expect(unknown.extensions.code).toBe('NOT_FOUND');
      expect((await fails(CANCEL, { id: '42' }, a.admin)).extensions.code).toBe('BAD_USER_INPUT');
    });

    it('lets a WRITE_STAYS partner cancel', async () => {
      const partner = await apiKey(a.admin, 'Cancelling partner', 'WRITE_STAYS');
      const start = Date.UTC(2032, 4, 1, 14);
      const booked = await upsert(
        {
          visitor: { email: 'cancel-me@example.org' },
          arrivalAt: iso(start),
          departureAt: iso(start + DAY),
          source: 'partner',
          externalRef: nextRef(),
        },
        partner,
      );
      const cancelled = (await ok(CANCEL, { id: booked.id }, partner)).cancelStay;
      expect(cancelled.status).toBe('CANCELLED');
    });
  });

  describe('Visitor.phase', () => {
    // A stay far from the real now, so that only the stopped clock decides.
    const arrival = Date.UTC(2033, 4, 10, 15, 0, 0);
    const departure = Date.UTC(2033, 4, 14, 10, 0, 0);
    let guest: string;

    beforeAll(async () => {
      guest = await createVisitor(a.admin, { firstName: 'Phase' });
      await upsert({
        visitorId: guest,
        arrivalAt: iso(arrival),
        departureAt: iso(departure),
        source: 'office',
      });
    });

    it('is NONE without stays', async () => {
      const nobody = await createVisitor(a.admin);
      expect((await ok(PHASE, { id: nobody }, a.admin)).visitor.phase).toBe('NONE');
    });

    it('is BEFORE, DURING, AFTER, NONE at the boundaries of the stay', async () => {
      expect(await phaseAt(arrival - 30 * DAY, guest)).toBe('BEFORE');
      expect(await phaseAt(arrival - SECOND, guest)).toBe('BEFORE');
      expect(await phaseAt(arrival, guest)).toBe('DURING');
      expect(await phaseAt(departure - 1, guest)).toBe('DURING');
      expect(await phaseAt(departure, guest)).toBe('AFTER');
      expect(await phaseAt(departure + 89 * DAY, guest)).toBe('AFTER');
      expect(await phaseAt(departure + 90 * DAY - 1, guest)).toBe('AFTER');
      expect(await phaseAt(departure + 90 * DAY, guest)).toBe('NONE');
      expect(await phaseAt(departure + 91 * DAY, guest)).toBe('NONE');
    });

    it('ignores cancelled stays', async () => {
      const visitor = await createVisitor(a.admin, { firstName: 'Cancelled' });
      const past = await upsert(stay(visitor, arrival - 20 * DAY, 2, { externalRef: nextRef() }));
      const current = await upsert(stay(visitor, arrival, 4, { externalRef: nextRef() }));
      expect(await phaseAt(arrival + DAY, visitor)).toBe('DURING');
      await ok(CANCEL, { id: current.id }, a.admin);
      // The earlier stay still counts: AFTER it, not DURING the cancelled one.
      expect(await phaseAt(arrival + DAY, visitor)).toBe('AFTER');
      expect(await phaseAt(arrival - 30 * DAY, visitor)).toBe('BEFORE');
      await ok(CANCEL, { id: past.id }, a.admin);
      expect(await phaseAt(arrival + DAY, visitor)).toBe('NONE');
      expect(await phaseAt(arrival - 30 * DAY, visitor)).toBe('NONE');
    });

    it('prefers DURING to BEFORE, and BEFORE to AFTER', async () => {
      const visitor = await createVisitor(a.admin, { firstName: 'Regular' });
      await upsert(stay(visitor, arrival - 10 * DAY, 2));
      await upsert(stay(visitor, arrival, 2));
      await upsert(stay(visitor, arrival + 10 * DAY, 2));
      expect(await phaseAt(arrival - 5 * DAY, visitor)).toBe('BEFORE');
      expect(await phaseAt(arrival + DAY, visitor)).toBe('DURING');
      expect(await phaseAt(arrival + 30 * DAY, visitor)).toBe('AFTER');
    });

    it('follows the real clock, and the destination’s afterStayDays', async () => {
      const now = Date.now();
      const visitor = await createVisitor(a.admin, { firstName: 'Now' });
      const current = await upsert(stay(visitor, now - DAY, 2, { externalRef: nextRef() }));
      expect((await ok(PHASE, { id: visitor }, a.admin)).visitor.phase).toBe('DURING');
      await upsert(stay(visitor, now - 40 * DAY, 2, { externalRef: current.externalRef }));
      expect((await ok(PHASE, { id: visitor }, a.admin)).visitor.phase).toBe('AFTER');
      await db.query('UPDATE destinations SET after_stay_days = 30 WHERE id = $1', [
        a.destination.id,
      ]);
      try {
        expect((await ok(PHASE, { id: visitor }, a.admin)).visitor.phase).toBe('NONE');
      } finally {
        await db.query('UPDATE destinations SET after_stay_days = 90 WHERE id = $1', [
          a.destination.id,
        ]);
      }
    });

    it('answers the phases and stays of a page of visitors', async () => {
      const page = await at(arrival + DAY, () =>
        ok('{ visitors(first: 50) { edges { node { id phase stays { id } } } } }', {}, a.admin),
      );
      const nodes = page.visitors.edges.map((e: { node: Record<string, any> }) => e.node);
      expect(nodes.find((n: { id: string }) => n.id === guest)).toMatchObject({
        phase: 'DURING',
        stays: [{ id: expect.any(String) }],
      });
      expect(nodes.find((n: { id: string }) => n.id === visitorA).stays.length).toBeGreaterThan(3);
    });
  });

  describe('GDPR', () => {
    it('exports the stays; erasure drops the booking reference and keeps the anonymous stay', async () => {
      const partner = await apiKey(a.admin, 'Forgetful hotel', 'WRITE_STAYS');
      const start = Date.UTC(2033, 8, 1, 14);
      const booking = {
        visitor: { email: 'forget-me@example.org' },
        arrivalAt: iso(start),
        departureAt: iso(start + 2 * DAY),
        source: 'forgetful',
        externalRef: 'FG-1',
        partySize: 2,
      };
      const booked = await upsert(booking, partner);
      const exported = await ok(
        'query($id: ID!) { exportVisitorData(id: $id) }',
        { id: booked.visitor.id },
        a.admin,
      );
      expect(exported.exportVisitorData.stays).toEqual([
        expect.objectContaining({
          id: booked.id,
          arrivalAt: iso(start),
          departureAt: iso(start + 2 * DAY),
          partySize: 2,
          status: 'BOOKED',
          source: 'forgetful',
          externalRef: 'FG-1',
        }),
      ]);

      await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: booked.visitor.id }, a.admin);
      const [row] = await db.query(
        'SELECT external_ref, status, arrival_at FROM stays WHERE id = $1',
        [booked.id],
      );
      expect(row).toEqual({ external_ref: null, status: 'BOOKED', arrival_at: new Date(start) });
      // The erased person's stay is nobody's business any more.
      expect((await fails(CANCEL, { id: booked.id }, partner)).extensions.code).toBe('NOT_FOUND');
      // The same booking sent again does not bring the person back.
      const again = await fails(UPSERT, { input: booking }, partner);
      expect(again.extensions.code).toBe('CONFLICT');
      expect(await count('SELECT count(*) FROM stays WHERE source = $1', ['forgetful'])).toBe(1);
    });
  });

  describe('GDPR, a guest known by X account only', () => {
    it('a booking naming an erased person’s account does not bring them back', async () => {
      const partner = await apiKey(a.admin, 'Social hotel', 'WRITE_STAYS');
      const start = Date.UTC(2033, 9, 1, 14);
      const booking = (externalRef: string, identity: Record<string, string>) => ({
        visitor: { identities: [{ provider: 'TWITTER', ...identity }] },
        arrivalAt: iso(start),
        departureAt: iso(start + DAY),
        source: 'social-hotel',
        externalRef,
      });
      const booked = await upsert(
        booking('SH-1', { handle: 'Gwen_Ker', externalId: '8801' }),
        partner,
      );
      await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: booked.visitor.id }, a.admin);
      for (const [ref, identity] of [
        ['SH-1', { handle: 'Gwen_Ker', externalId: '8801' }],
        ['SH-2', { handle: '@gwen_ker' }], // by the handle alone
        ['SH-3', { externalId: '8801' }], // by the id alone
      ] as const) {
        const refused = await fails(UPSERT, { input: booking(ref, identity) }, partner);
        expect(refused.extensions.code).toBe('CONFLICT');
      }
      expect(await count('SELECT count(*) FROM stays WHERE source = $1', ['social-hotel'])).toBe(1);
      // Someone else's account is welcome.
      expect(
        (await upsert(booking('SH-4', { handle: 'gwen_other' }), partner)).visitor.id,
      ).not.toBe(booked.visitor.id);
    });
  });

  describe('events', () => {
    it('tells listeners about created, changed and cancelled stays, once each', async () => {
      probe.changed.length = 0;
      probe.cancelled.length = 0;
      const start = Date.UTC(2034, 0, 10, 15);
      const externalRef = nextRef();
      const created = await upsert(stay(visitorA, start, 2, { externalRef }));
      await upsert(stay(visitorA, start, 2, { externalRef })); // the same booking: no event
      await upsert(stay(visitorA, start, 3, { externalRef }));
      await ok(CANCEL, { id: created.id }, a.admin);
      await ok(CANCEL, { id: created.id }, a.admin); // already cancelled: no event
      await upsert(stay(visitorA, start, 3, { externalRef })); // booked again

      const base = { destinationId: a.destination.id, stayId: created.id, visitorId: visitorA };
      const snapshot = (days: number, status: string) => ({
        visitorId: visitorA,
        arrivalAt: new Date(start),
        departureAt: new Date(start + days * DAY),
        status,
      });
      expect(probe.changed).toEqual([
        { ...base, ...snapshot(2, 'BOOKED') },
        { ...base, ...snapshot(3, 'BOOKED'), previous: snapshot(2, 'BOOKED') },
        { ...base, ...snapshot(3, 'BOOKED'), previous: snapshot(3, 'CANCELLED') },
      ]);
      expect(probe.cancelled).toEqual([
        { ...base, ...snapshot(3, 'CANCELLED'), previous: snapshot(3, 'BOOKED') },
      ]);
    });
  });

  describe('interest evidence', () => {
    it('makes a stay at a place with interests STAY evidence, withdrawn when cancelled', async () => {
      const place = await ok(
        `mutation { upsertPlace(name: "Le Bistrot des Lices", kind: RESTAURANT, interestSlugs: ["gastronomy"]) { id } }`,
        {},
        a.admin,
      );
      const guest = await createVisitor(a.admin, { firstName: 'Maël' });
      const INTERESTS =
        'query($id: ID!) { visitor(id: $id) { interests { interest { slug } sources score } } }';
      const booked = await upsert(
        stay(guest, Date.UTC(2035, 4, 1, 15), 2, {
          placeId: place.upsertPlace.id,
          externalRef: nextRef(),
        }),
      );
      const withStay = await ok(INTERESTS, { id: guest }, a.admin);
      expect(withStay.visitor.interests).toEqual([
        { interest: { slug: 'gastronomy' }, sources: ['STAY'], score: expect.any(Number) },
      ]);
      expect(withStay.visitor.interests[0].score).toBeGreaterThan(0);
      await ok(CANCEL, { id: booked.id }, a.admin);
      expect((await ok(INTERESTS, { id: guest }, a.admin)).visitor.interests).toEqual([]);
    });
  });
});
