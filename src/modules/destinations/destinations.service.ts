import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { badInput, conflict, notFound } from '../../common/errors/app-error.js';
import {
  canonicalLocale,
  isHourMinute,
  assertId,
  canonicalTimeZone,
  isUuid,
  normalizeHandle,
  normalizeHashtag,
} from '../../common/validation.js';
import { AdvisoryLock, withAdvisoryLock } from '../../infra/database/advisory-lock.js';
import { APP_CONFIG, type AppConfig } from '../../infra/config/config.js';
import { AccessService } from '../access/access.service.js';
import type { AuthContext } from '../access/auth-context.js';
import { Role } from '../access/user.entity.js';
import { DestinationEntity, type QuietHours } from './destination.entity.js';
import { DestinationEvents, type DestinationCreatedEvent } from './destination.events.js';
import type { UpdateDestinationArgs, UpsertPlaceArgs } from './destinations.inputs.js';
import { PlaceEntity } from './place.entity.js';
import { TrackedSourceEntity, TrackKind } from './tracked-source.entity.js';

const MAX_NAME = 200;

function handles(values: string[], field: string): string[] {
  const bad = values.filter((v) => !normalizeHandle(v));
  if (bad.length)
    throw badInput(`${field}: not valid X handles: ${bad.join(', ')}`, { field, invalid: bad });
  // X handles are case-insensitive: keep the first spelling of each.
  const byLower = new Map<string, string>();
  for (const h of values.map((v) => normalizeHandle(v)!))
    if (!byLower.has(h.toLowerCase())) byLower.set(h.toLowerCase(), h);
  return [...byLower.values()];
}

function hashtags(values: string[], field: string): string[] {
  const bad = values.filter((v) => !normalizeHashtag(v));
  if (bad.length)
    throw badInput(`${field}: not valid hashtags: ${bad.join(', ')}`, { field, invalid: bad });
  return [...new Set(values.map((v) => normalizeHashtag(v)!))];
}

function requiredName(value: string, field = 'name'): string {
  const name = value.trim();
  if (!name || name.length > MAX_NAME)
    throw badInput(`${field} must be 1 to ${MAX_NAME} characters`, { field });
  return name;
}

@Injectable()
export class DestinationsService {
  constructor(
    @InjectRepository(DestinationEntity)
    private readonly destinations: Repository<DestinationEntity>,
    @InjectRepository(PlaceEntity) private readonly places: Repository<PlaceEntity>,
    @InjectRepository(TrackedSourceEntity)
    private readonly sources: Repository<TrackedSourceEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: AccessService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: EventEmitter2,
  ) {}

  async get(auth: AuthContext): Promise<DestinationEntity> {
    const destination = await this.destinations.findOneBy({ id: auth.destinationId });
    if (!destination) throw notFound('Destination');
    return destination;
  }

  quietHours(destination: DestinationEntity): QuietHours | null {
    return destination.quietStart && destination.quietEnd
      ? { start: destination.quietStart, end: destination.quietEnd }
      : null;
  }

  async update(auth: AuthContext, args: UpdateDestinationArgs): Promise<DestinationEntity> {
    const destination = await this.get(auth);
    const patch: Partial<DestinationEntity> = {};
    if (args.name != null) patch.name = requiredName(args.name);
    if (args.timeZone != null) {
      const timeZone = canonicalTimeZone(args.timeZone);
      if (!timeZone) {
        throw badInput(`timeZone ${args.timeZone} is not an IANA time zone`, { field: 'timeZone' });
      }
      patch.timeZone = timeZone;
    }
    if (args.defaultLocale != null) {
      const locale = canonicalLocale(args.defaultLocale);
      if (!locale)
        throw badInput(`defaultLocale ${args.defaultLocale} is not a BCP 47 tag`, {
          field: 'defaultLocale',
        });
      patch.defaultLocale = locale;
    }
    if (args.twitterHandles != null)
      patch.twitterHandles = handles(args.twitterHandles, 'twitterHandles');
    if (args.trackedHashtags != null)
      patch.trackedHashtags = hashtags(args.trackedHashtags, 'trackedHashtags');
    if (args.quietStart !== undefined || args.quietEnd !== undefined) {
      const { quietStart: start, quietEnd: end } = args;
      if ((start == null) !== (end == null)) {
        throw badInput('quietStart and quietEnd go together: set both, or both to null to clear', {
          field: start == null ? 'quietStart' : 'quietEnd',
        });
      }
      for (const [field, v] of [
        ['quietStart', start],
        ['quietEnd', end],
      ] as const) {
        if (v != null && !isHourMinute(v))
          throw badInput(`${field} must be "HH:MM" (00:00 to 23:59)`, { field });
      }
      patch.quietStart = start ?? null;
      patch.quietEnd = end ?? null;
    }
    if (Object.keys(patch).length) await this.destinations.update({ id: destination.id }, patch);
    return this.get(auth);
  }

  listPlaces(auth: AuthContext): Promise<PlaceEntity[]> {
    return this.places.find({
      where: { destinationId: auth.destinationId },
      order: { name: 'ASC' },
    });
  }

  async getPlace(auth: AuthContext, id: string): Promise<PlaceEntity> {
    const place = await this.places.findOneBy({
      id: assertId(id),
      destinationId: auth.destinationId,
    });
    if (!place) throw notFound('Place', id);
    return place;
  }

  /** Writes the place's own fields inside `manager`'s transaction (the caller links interests). */
  async upsertPlace(
    auth: AuthContext,
    args: UpsertPlaceArgs,
    manager: EntityManager,
  ): Promise<PlaceEntity> {
    const name = requiredName(args.name);
    let twitterHandle: string | null | undefined = undefined;
    if (args.twitterHandle !== undefined) {
      twitterHandle =
        args.twitterHandle == null || args.twitterHandle.trim() === ''
          ? null
          : (normalizeHandle(args.twitterHandle) ?? '');
      if (twitterHandle === '')
        throw badInput(`twitterHandle ${args.twitterHandle} is not a valid X handle`, {
          field: 'twitterHandle',
        });
    }
    for (const [field, v, max] of [
      ['latitude', args.latitude, 90],
      ['longitude', args.longitude, 180],
    ] as const) {
      if (v != null && (!Number.isFinite(v) || Math.abs(v) > max)) {
        throw badInput(`${field} must be between -${max} and ${max}`, { field });
      }
    }
    const repo = manager.getRepository(PlaceEntity);
    const existing = args.id
      ? await repo.findOneBy({ id: assertId(args.id), destinationId: auth.destinationId })
      : await repo
          .createQueryBuilder('p')
          .where('p.destination_id = :d AND lower(p.name) = lower(:name)', {
            d: auth.destinationId,
            name,
          })
          .getOne();
    if (args.id && !existing) throw notFound('Place', args.id);
    await this.assertPlaceFree(manager, auth, name, twitterHandle, existing?.id);
    const place =
      existing ??
      repo.create({
        destinationId: auth.destinationId,
        twitterHandle: null,
        latitude: null,
        longitude: null,
      });
    Object.assign(place, {
      name,
      kind: args.kind,
      ...(twitterHandle !== undefined ? { twitterHandle } : {}),
      ...(args.latitude !== undefined ? { latitude: args.latitude } : {}),
      ...(args.longitude !== undefined ? { longitude: args.longitude } : {}),
    });
    return repo.save(place);
  }

  /** Names and handles are unique per destination, in any case: say which one clashes. */
  private async assertPlaceFree(
    manager: EntityManager,
    auth: AuthContext,
    name: string,
    handle: string | null | undefined,
    selfId: string | undefined,
  ): Promise<void> {
    const clash = await manager
      .getRepository(PlaceEntity)
      .createQueryBuilder('p')
      .where('p.destination_id = :d', { d: auth.destinationId })
      .andWhere(selfId ? 'p.id <> :selfId' : 'TRUE', { selfId })
      .andWhere('(lower(p.name) = lower(:name) OR lower(p.twitter_handle) = lower(:handle))', {
        name,
        handle: handle ?? null,
      })
      .getOne();
    if (!clash) return;
    const field = clash.name.toLowerCase() === name.toLowerCase() ? 'name' : 'twitterHandle';
    throw conflict(
      `Another place already has this ${field === 'name' ? 'name' : 'X handle'}: ${clash.name}`,
      { field, placeId: clash.id },
    );
  }

  listTrackedSources(auth: AuthContext): Promise<TrackedSourceEntity[]> {
    return this.sources.find({
      where: { destinationId: auth.destinationId },
      order: { createdAt: 'ASC' },
    });
  }

  /** Idempotent: tracking what is already tracked (in any case) re-activates it. */
  async trackSource(auth: AuthContext, kind: TrackKind, raw: string): Promise<TrackedSourceEntity> {
    const value = this.trackValue(kind, raw);
    await this.sources
      .createQueryBuilder()
      .insert()
      .values({
        destinationId: auth.destinationId,
        kind,
        value,
        normalizedValue: value.toLowerCase(),
        active: true,
      })
      .orUpdate(['active', 'value', 'updated_at'], ['destination_id', 'kind', 'normalized_value'])
      .execute();
    return this.sources.findOneByOrFail({
      destinationId: auth.destinationId,
      kind,
      normalizedValue: value.toLowerCase(),
    });
  }

  async untrackSource(auth: AuthContext, id: string): Promise<TrackedSourceEntity> {
    const source = await this.sources.findOneBy({
      id: assertId(id),
      destinationId: auth.destinationId,
    });
    if (!source) throw notFound('TrackedSource', id);
    if (source.active) await this.sources.update({ id }, { active: false });
    return this.sources.findOneByOrFail({ id });
  }

  private trackValue(kind: TrackKind, raw: string): string {
    switch (kind) {
      case TrackKind.HASHTAG: {
        const tag = normalizeHashtag(raw);
        if (!tag) throw badInput(`${raw} is not a valid hashtag`, { field: 'value' });
        return tag;
      }
      case TrackKind.MENTION:
      case TrackKind.ACCOUNT: {
        const handle = normalizeHandle(raw);
        if (!handle) throw badInput(`${raw} is not a valid X handle`, { field: 'value' });
        return handle;
      }
      case TrackKind.QUERY: {
        const query = raw.trim();
        // X's search/recent accepts queries of up to 512 characters.
        if (!query || query.length > 512)
          throw badInput('a query must be 1 to 512 characters', { field: 'value' });
        return query;
      }
    }
  }

  /**
   * Creates a destination and its first ADMIN (boot bootstrap, CLI, embedded demo). Returns the
   * existing destination of that name instead when there is one, so running it twice changes nothing.
   */
  async createDestination(input: {
    name: string;
    timeZone?: string;
    locale?: string;
    adminEmail: string;
    adminPassword: string;
  }): Promise<{ destination: DestinationEntity; created: boolean }> {
    const name = requiredName(input.name);
    const timeZone = canonicalTimeZone(input.timeZone ?? this.config.destinationDefaults.timeZone);
    const locale = canonicalLocale(input.locale ?? this.config.destinationDefaults.locale);
    if (!timeZone)
      throw badInput(`${input.timeZone} is not an IANA time zone`, { field: 'timeZone' });
    if (!locale) throw badInput(`${input.locale} is not a BCP 47 tag`, { field: 'locale' });
    const existing = await this.destinations.findOneBy({ name });
    if (existing) return { destination: existing, created: false };
    const destination = await this.destinations.save(
      this.destinations.create({
        secretSalt: randomBytes(32).toString('hex'),
        name,
        timeZone,
        defaultLocale: locale,
        twitterHandles: [],
        trackedHashtags: [],
        quietStart: null,
        quietEnd: null,
      }),
    );
    try {
      await this.access.createUserIn(
        destination.id,
        input.adminEmail,
        input.adminPassword,
        Role.ADMIN,
      );
    } catch (error) {
      await this.destinations.delete({ id: destination.id });
      throw error;
    }
    const event: DestinationCreatedEvent = {
      destinationId: destination.id,
      defaultLocale: destination.defaultLocale,
    };
    await this.events.emitAsync(DestinationEvents.CREATED, event);
    return { destination, created: true };
  }

  /**
   * Deletes a destination and every row of it: all tenant tables cascade from `destinations`
   * (CLI `delete-destination`, the demo's reset). Jobs already queued for it find nothing to do.
   */
  async deleteDestination(id: string): Promise<void> {
    await this.destinations.delete({ id: assertId(id) });
  }

  /** For the CLI: a destination by exact name, or by id. */
  async findByNameOrId(nameOrId: string): Promise<DestinationEntity | null> {
    const byName = await this.destinations.findOneBy({ name: nameOrId });
    if (byName) return byName;
    return isUuid(nameOrId) ? this.destinations.findOneBy({ id: nameOrId }) : null;
  }

  countDestinations(): Promise<number> {
    return this.destinations.count();
  }

  /** Serialises concurrent bootstraps (two processes booting together). */
  withBootstrapLock<T>(work: () => Promise<T>): Promise<T> {
    return withAdvisoryLock(this.dataSource, AdvisoryLock.BOOTSTRAP, work);
  }
}
