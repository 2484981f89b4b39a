import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository, type EntityManager } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { groupByKeys, type RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { conflict, notFound } from '../../common/errors/app-error.js';
import { assertId } from '../../common/validation.js';
import { AccessService } from '../access/access.service.js';
import type { AuthContext } from '../access/auth-context.js';
import { DestinationsService } from '../destinations/destinations.service.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import type { CreateVisitorInput } from '../visitors/visitor.inputs.js';
import { InterestsService } from '../interests/interests.service.js';
import { VisitorsService } from '../visitors/visitors.service.js';
import { JourneyPhase, phaseParams, phaseSql } from './journey-phase.js';
import { checkStayInput, snapshotOf, stayPatch, type CheckedStay } from './stay-rules.js';
import { StayEntity, StayStatus } from './stay.entity.js';
import {
  StayEvents,
  type StayCancelledEvent,
  type StayChangedEvent,
  type StaySnapshot,
} from './stay.events.js';
import type { StayInput } from './stay.inputs.js';
import { AdvisoryLockSpace } from '../../infra/database/advisory-lock.js';

/** Two requests raced for the same new booking: the other one inserted it first. */
/** A partner's key writes only the bookings it sent; office staff may correct any. */
function assertOwnBooking(auth: AuthContext, stay: StayEntity): void {
  if (auth.principal.kind !== 'apiKey' || stay.ownerApiKeyId === auth.principal.apiKeyId) return;
  throw conflict('This booking was sent by another partner: it cannot be changed with this key', {
    stayId: stay.id,
  });
}

class BookingRaceLost extends Error {
  constructor() {
    super('A concurrent request created this booking first');
  }
}

/** Attempts of an upsert that loses a race (same booking, or same new guest, sent concurrently). */
const UPSERT_ATTEMPTS = 3;

/**
 * PostgreSQL errors after which the whole upsert is simply tried again: a unique violation (a
 * concurrent request inserted the same guest or identity first), a deadlock or a serialisation
 * failure.
 */
const RETRYABLE_CODES = new Set(['23505', '40P01', '40001']);
const isRetryable = (e: unknown) =>
  e instanceof BookingRaceLost ||
  RETRYABLE_CODES.has((e as { code?: unknown } | null)?.code as string);

/** First key of the transaction-level advisory locks taken on an inline guest (see guestOf). */
const GUEST_LOCK = AdvisoryLockSpace.STAY_GUESTS;

/** What an inline guest can be matched by: e-mail, social identities (lower case, sorted). */
export function guestKeys(guest: CreateVisitorInput): string[] {
  const keys = new Set<string>();
  const email = guest.email?.trim().toLowerCase();
  if (email) keys.add(`email:${email}`);
  for (const identity of guest.identities ?? []) {
    const handle = identity.handle?.trim().replace(/^@/, '').toLowerCase();
    const externalId = identity.externalId?.trim();
    if (handle) keys.add(`handle:${identity.provider}:${handle}`);
    if (externalId) keys.add(`id:${identity.provider}:${externalId}`);
  }
  return [...keys].sort();
}

interface Outcome<E> {
  stay: StayEntity;
  /** Set when something changed: emitted after commit. */
  event?: E;
}

/**
 * Stays (bookings) and the journey phase.
 *
 * `upsert` is idempotent on (destination, source, externalRef): the row is locked when it exists
 * (SELECT ... FOR UPDATE) and inserted with ON CONFLICT DO NOTHING on the partial unique index
 * `stays_source_ref_key` when it does not. Requests about the same inline guest are serialised by
 * a transaction-level advisory lock on the guest's e-mail / identities, so a second one matches the
 * visitor the first created. A request that loses the race for a new booking rolls back everything
 * it did, the guest it created included, and starts again: it then finds the booking and updates
 * it. A booking without externalRef cannot be recognised again, so each one is a new stay.
 *
 * Events (stay.events.ts) are emitted after commit, only when something changed.
 */
@Injectable()
export class StaysService {
  private readonly logger = new Logger(StaysService.name);

  constructor(
    @InjectRepository(StayEntity) private readonly stays: Repository<StayEntity>,
    @InjectRepository(PlaceEntity) private readonly places: Repository<PlaceEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly visitors: VisitorsService,
    private readonly destinations: DestinationsService,
    private readonly interests: InterestsService,
    private readonly access: AccessService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
  ) {}

  // ----------------------------------------------------------------- writes

  async upsert(auth: AuthContext, input: StayInput): Promise<StayEntity> {
    const checked = checkStayInput(input);
    const guestSource = 'visitor' in checked.guest ? await this.guestSource(auth, checked) : '';
    for (let attempt = 1; ; attempt++) {
      try {
        const { stay, event } = await this.dataSource.transaction((manager) =>
          this.upsertIn(manager, auth, checked, guestSource),
        );
        if (event) await this.emit(StayEvents.CHANGED, event);
        return stay;
      } catch (error) {
        if (!isRetryable(error) || attempt >= UPSERT_ATTEMPTS) throw error;
      }
    }
  }

  private async upsertIn(
    manager: EntityManager,
    auth: AuthContext,
    checked: CheckedStay,
    guestSource: string,
  ): Promise<Outcome<StayChangedEvent>> {
    const repo = manager.getRepository(StayEntity);
    const existing = checked.externalRef
      ? await repo
          .createQueryBuilder('s')
          .setLock('pessimistic_write')
          .where('s.destination_id = :d AND s.source = :source AND s.external_ref = :ref', {
            d: auth.destinationId,
            source: checked.source,
            ref: checked.externalRef,
          })
          .getOne()
      : null;
    if (existing) assertOwnBooking(auth, existing);
    const visitorId = await this.guestOf(manager, auth, checked, existing, guestSource);
    if (checked.placeId) await this.destinations.getPlace(auth, checked.placeId);

    if (existing) {
      const patch = stayPatch(existing, { ...checked, visitorId });
      if (!Object.keys(patch).length) return { stay: existing };
      await repo.update({ id: existing.id }, patch);
      const stay = await repo.findOneByOrFail({ id: existing.id });
      await this.syncEvidence(stay, manager);
      return { stay, event: this.changedEvent(stay, snapshotOf(existing)) };
    }

    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO stays (destination_id, visitor_id, arrival_at, departure_at, place_id,
                          party_size, status, source, external_ref, owner_api_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, 'BOOKED', $7, $8, $9)
       ON CONFLICT (destination_id, source, external_ref) WHERE external_ref IS NOT NULL
       DO NOTHING
       RETURNING id`,
      [
        auth.destinationId,
        visitorId,
        checked.arrivalAt,
        checked.departureAt,
        checked.placeId ?? null,
        checked.partySize ?? null,
        checked.source,
        checked.externalRef,
        auth.principal.kind === 'apiKey' ? auth.principal.apiKeyId : null,
      ],
    );
    if (!inserted.length) throw new BookingRaceLost();
    const stay = await repo.findOneByOrFail({ id: inserted[0].id });
    await this.syncEvidence(stay, manager);
    return { stay, event: this.changedEvent(stay) };
  }

  /**
   * The stay's visitor: `visitorId` must be a visitor the caller may see (NOT_FOUND otherwise); an
   * inline guest is matched by e-mail (then social identity) or created, in this transaction. An
   * inline guest with neither e-mail nor identity cannot be matched: when the booking exists
   * already, it stays with its visitor instead of getting a new, anonymous one at every re-send.
   */
  private async guestOf(
    manager: EntityManager,
    auth: AuthContext,
    checked: CheckedStay,
    existing: StayEntity | null,
    guestSource: string,
  ): Promise<string> {
    if ('visitorId' in checked.guest) {
      return (await this.visitors.get(auth, checked.guest.visitorId, manager)).id;
    }
    const guest = checked.guest.visitor;
    const keys = guestKeys(guest);
    if (existing && !keys.length) return existing.visitorId;
    // Serialise the requests about one guest (same e-mail or identity), so that the second one
    // matches the visitor the first created instead of racing it. Sorted: no lock-order deadlock.
    for (const key of keys) {
      await manager.query('SELECT pg_advisory_xact_lock($1::integer, hashtext($2))', [
        GUEST_LOCK,
        `${auth.destinationId}:${key}`,
      ]);
    }
    return (await this.visitors.matchOrCreateIn(manager, auth, guest, guestSource)).id;
  }

  /** Where an inline guest comes from: `partner:<key name>` for an API key, else the stay's source. */
  private async guestSource(auth: AuthContext, checked: CheckedStay): Promise<string> {
    if (auth.principal.kind !== 'apiKey') return checked.source;
    const { apiKey } = await this.access.viewer(auth);
    return `partner:${apiKey?.name ?? auth.principal.apiKeyId}`;
  }

  /**
   * CANCELLED, idempotent: cancelling a cancelled stay changes nothing and emits nothing. Another
   * destination's stay, or the stay of an erased visitor, is NOT_FOUND.
   */
  async cancel(auth: AuthContext, id: string): Promise<StayEntity> {
    const stayId = assertId(id).toLowerCase();
    const { stay, event } = await this.dataSource.transaction(
      async (manager): Promise<Outcome<StayCancelledEvent>> => {
        const repo = manager.getRepository(StayEntity);
        const current = await repo
          .createQueryBuilder('s')
          .setLock('pessimistic_write')
          .where('s.id = :id AND s.destination_id = :d', { id: stayId, d: auth.destinationId })
          .andWhere(
            'EXISTS (SELECT 1 FROM visitors v WHERE v.id = s.visitor_id AND v.erased_at IS NULL)',
          )
          .getOne();
        if (!current) throw notFound('Stay', id);
        assertOwnBooking(auth, current);
        if (current.status === StayStatus.CANCELLED) return { stay: current };
        await repo.update({ id: current.id }, { status: StayStatus.CANCELLED });
        const cancelled = await repo.findOneByOrFail({ id: current.id });
        await this.syncEvidence(cancelled, manager);
        return {
          stay: cancelled,
          event: {
            destinationId: cancelled.destinationId,
            stayId: cancelled.id,
            ...snapshotOf(cancelled),
            previous: snapshotOf(current),
          },
        };
      },
    );
    if (event) await this.emit(StayEvents.CANCELLED, event);
    return stay;
  }

  /** STAY interest evidence follows the booking, in the same transaction. */
  private syncEvidence(stay: StayEntity, manager: EntityManager): Promise<void> {
    return this.interests.syncStayEvidence(
      {
        id: stay.id,
        destinationId: stay.destinationId,
        visitorId: stay.visitorId,
        placeId: stay.placeId,
        arrivalAt: stay.arrivalAt,
        cancelled: stay.status === StayStatus.CANCELLED,
      },
      manager,
    );
  }

  private changedEvent(stay: StayEntity, previous?: StaySnapshot): StayChangedEvent {
    return {
      destinationId: stay.destinationId,
      stayId: stay.id,
      ...snapshotOf(stay),
      ...(previous ? { previous } : {}),
    };
  }

  /** After commit. The booking is saved whatever a listener does: its failure is logged only. */
  private async emit(name: string, event: StayChangedEvent | StayCancelledEvent): Promise<void> {
    try {
      await this.events.emitAsync(name, event);
    } catch (error) {
      this.logger.error(
        `A ${name} listener failed for stay ${event.stayId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }

  // ------------------------------------------------------------------ reads

  /** A visitor's stays, every status, by arrival (batched per request). */
  staysOf(loaders: RequestLoaders, auth: AuthContext, visitorId: string): Promise<StayEntity[]> {
    return loaders
      .get<string, StayEntity[]>('stays.ofVisitor', async (ids) => {
        const rows = await this.stays.find({
          where: { visitorId: In([...ids]), destinationId: auth.destinationId },
          order: { arrivalAt: 'ASC', id: 'ASC' },
        });
        return groupByKeys(ids, rows, (r) => r.visitorId);
      })
      .load(visitorId);
  }

  /** A stay of the caller's destination, or null (batched; for Message.stay and the like). */
  byId(loaders: RequestLoaders, auth: AuthContext, id: string): Promise<StayEntity | null> {
    return loaders
      .get<string, StayEntity | null>('stays.byId', async (ids) => {
        const rows = await this.stays.findBy({
          id: In([...ids]),
          destinationId: auth.destinationId,
        });
        return ids.map((key) => rows.find((r) => r.id === key) ?? null);
      })
      .load(id);
  }

  /** The stay's place (batched), within the caller's destination. */
  placeOf(
    loaders: RequestLoaders,
    auth: AuthContext,
    placeId: string,
  ): Promise<PlaceEntity | null> {
    return loaders
      .get<string, PlaceEntity | null>('stays.place', async (ids) => {
        const rows = await this.places.findBy({
          id: In([...ids]),
          destinationId: auth.destinationId,
        });
        return ids.map((key) => rows.find((r) => r.id === key) ?? null);
      })
      .load(placeId);
  }

  /** `Visitor.phase`: one query for all the visitors of a response, now from the Clock. */
  phaseOf(loaders: RequestLoaders, auth: AuthContext, visitorId: string): Promise<JourneyPhase> {
    return loaders
      .get<string, JourneyPhase>('stays.phase', async (ids) => {
        const phases = await this.phasesAt(auth, ids, this.clock.now());
        return ids.map((key) => phases.get(key) ?? JourneyPhase.NONE);
      })
      .load(visitorId);
  }

  /** The phase of each of these visitors (of the caller's destination) at `now`. */
  async phasesAt(
    auth: AuthContext,
    visitorIds: readonly string[],
    now: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Map<string, JourneyPhase>> {
    const rows: { id: string; phase: JourneyPhase }[] = await manager.query(
      `SELECT v.id, ${phaseSql('v', '$1', 'd.after_stay_days')} AS phase
       FROM visitors v JOIN destinations d ON d.id = v.destination_id
       WHERE v.destination_id = $2 AND v.id = ANY($3::uuid[])`,
      [now, auth.destinationId, [...visitorIds]],
    );
    return new Map(rows.map((r) => [r.id, r.phase]));
  }

  /**
   * The parameters of `phaseSql('v')` for the caller's destination, now: what segments pass to
   * their query builder so that their phase filter is the same as `Visitor.phase`.
   */
  async phaseParamsFor(auth: AuthContext, now = this.clock.now()) {
    const destination = await this.destinations.get(auth);
    return phaseParams(now, destination.afterStayDays);
  }

  // ------------------------------------------------- visitors' life events

  /** GDPR export: the visitor's stays (no one else's data: dates, place, party, source). */
  async exportSection(destinationId: string, visitorId: string) {
    const rows = await this.stays.find({
      where: { destinationId, visitorId },
      order: { arrivalAt: 'ASC', id: 'ASC' },
    });
    return rows.map((s) => ({
      id: s.id,
      arrivalAt: s.arrivalAt.toISOString(),
      departureAt: s.departureAt.toISOString(),
      placeId: s.placeId,
      partySize: s.partySize,
      status: s.status,
      source: s.source,
      externalRef: s.externalRef,
      createdAt: s.createdAt.toISOString(),
      updatedAt: s.updatedAt.toISOString(),
    }));
  }

  /**
   * GDPR erasure: stays hold no PII but the partner's booking reference, which points back to the
   * person in the partner's system: it is removed. Dates, place and status stay, anonymous, so the
   * aggregates per phase still count the visitor.
   */
  async eraseIn(manager: EntityManager, destinationId: string, visitorId: string): Promise<void> {
    await manager.query(
      `UPDATE stays SET external_ref = NULL, updated_at = now()
       WHERE destination_id = $1 AND visitor_id = $2 AND external_ref IS NOT NULL`,
      [destinationId, visitorId],
    );
  }
}
