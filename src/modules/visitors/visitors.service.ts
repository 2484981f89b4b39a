import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, IsNull, type EntityManager, Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { groupByKeys, type RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { badInput, conflict, notFound } from '../../common/errors/app-error.js';
import { pageRequest, toConnection, type PageArgs } from '../../common/pagination/relay.js';
import { assertId, normalizeHandle } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { InterestsService } from '../interests/interests.service.js';
import { ConsentEntity } from './consent.entity.js';
import { SocialIdentityEntity, SocialProvider } from './social-identity.entity.js';
import { SuppressionService } from './suppression.service.js';
import { maskEmail, maskPhone, piiView, requiresProfilingConsent } from './visitor-access.js';
import { checkVisitorFields } from './visitor-fields.js';
import { VisitorEvents, type VisitorChangedEvent } from './visitor.events.js';
import type {
  ConsentInput,
  CreateVisitorInput,
  SocialIdentityInput,
  UpdateVisitorInput,
} from './visitor.inputs.js';
import { VisitorEntity } from './visitor.entity.js';

/** Handles are matched without '@' and case-insensitively; X handles are validated as such. */
export function normalizeIdentity(input: SocialIdentityInput): {
  provider: SocialProvider;
  handle: string | null;
  externalId: string | null;
} {
  const rawHandle = input.handle?.trim().replace(/^@/, '') || null;
  const externalId = input.externalId?.trim() || null;
  if (!rawHandle && !externalId) {
    throw badInput('a social identity needs a handle or an externalId', { field: 'identities' });
  }
  let handle = rawHandle;
  if (rawHandle && input.provider === SocialProvider.TWITTER) {
    handle = normalizeHandle(rawHandle) ?? null;
    if (!handle) throw badInput(`${rawHandle} is not a valid X handle`, { field: 'handle' });
  }
  return { provider: input.provider, handle, externalId };
}

@Injectable()
export class VisitorsService {
  constructor(
    @InjectRepository(VisitorEntity) private readonly visitors: Repository<VisitorEntity>,
    @InjectRepository(SocialIdentityEntity)
    private readonly identities: Repository<SocialIdentityEntity>,
    @InjectRepository(ConsentEntity) private readonly consents: Repository<ConsentEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly interests: InterestsService,
    private readonly suppressions: SuppressionService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
  ) {}

  // ------------------------------------------------------------------ reads

  /** A visitor the caller may see, or NOT_FOUND (other destination, erased, no consent for a key). */
  async get(auth: AuthContext, id: string, manager?: EntityManager): Promise<VisitorEntity> {
    const qb = (manager ?? this.dataSource)
      .getRepository(VisitorEntity)
      .createQueryBuilder('v')
      .where('v.id = :id AND v.destination_id = :d AND v.erased_at IS NULL', {
        id: assertId(id),
        d: auth.destinationId,
      });
    if (requiresProfilingConsent(auth)) {
      qb.andWhere("visitor_consent(v.id, NULL, 'PROFILING')");
    }
    const visitor = await qb.getOne();
    if (!visitor) throw notFound('Visitor', id);
    return visitor;
  }

  /** Visitors by creation, oldest first (a stable key), with an exact total. */
  async list(auth: AuthContext, page: PageArgs) {
    const { limit, after } = pageRequest(page);
    const base = this.visitors
      .createQueryBuilder('v')
      .where('v.destination_id = :d AND v.erased_at IS NULL', { d: auth.destinationId });
    if (requiresProfilingConsent(auth)) base.andWhere("visitor_consent(v.id, NULL, 'PROFILING')");
    const rows = base.clone();
    if (after) {
      rows.andWhere('(v.created_at, v.id) > (:at::timestamptz, :id::uuid)', {
        at: after.sortKey,
        id: after.id,
      });
    }
    const [nodes, totalCount] = await Promise.all([
      rows
        .orderBy('v.created_at', 'ASC')
        .addOrderBy('v.id', 'ASC')
        .limit(limit + 1)
        .getMany(),
      base.getCount(),
    ]);
    return toConnection(nodes, limit, totalCount, (v) => v.createdAt.toISOString());
  }

  private view(auth: AuthContext, loaders: RequestLoaders, visitor: VisitorEntity) {
    return piiView(auth, () =>
      loaders
        .get<string, boolean>('visitor.profilingConsent', async (ids) => {
          const rows: { id: string; granted: boolean }[] = await this.dataSource.query(
            "SELECT id, visitor_consent(id, NULL, 'PROFILING') AS granted FROM visitors WHERE id = ANY($1)",
            [[...ids]],
          );
          return ids.map((id) => rows.find((r) => r.id === id)?.granted ?? false);
        })
        .load(visitor.id),
    );
  }

  /** A personal field as the caller may see it (see visitor-access.ts). */
  async personal(
    auth: AuthContext,
    loaders: RequestLoaders,
    visitor: VisitorEntity,
    field: 'firstName' | 'lastName' | 'email' | 'phone',
  ): Promise<string | null> {
    const value = visitor[field];
    if (!value) return null;
    const view = await this.view(auth, loaders, visitor);
    if (view === 'full') return value;
    if (field === 'email') return maskEmail(value);
    if (field === 'phone') return maskPhone(value);
    return view === 'hidden' ? null : value;
  }

  /** Names when the caller may see them, else the first social handle, else a short label. */
  async displayName(
    auth: AuthContext,
    loaders: RequestLoaders,
    visitor: VisitorEntity,
  ): Promise<string> {
    if (visitor.erasedAt) return 'Erased visitor';
    const names = await Promise.all([
      this.personal(auth, loaders, visitor, 'firstName'),
      this.personal(auth, loaders, visitor, 'lastName'),
    ]);
    const name = names.filter(Boolean).join(' ');
    if (name) return name;
    const handle = (await this.identitiesOf(loaders, visitor.id)).find((i) => i.handle)?.handle;
    return handle ? `@${handle}` : `Visitor ${visitor.id.slice(0, 8)}`;
  }

  identitiesOf(loaders: RequestLoaders, visitorId: string): Promise<SocialIdentityEntity[]> {
    return loaders
      .get<string, SocialIdentityEntity[]>('visitor.identities', async (ids) => {
        const rows = await this.identities.find({
          where: { visitorId: In([...ids]) },
          order: { createdAt: 'ASC' },
        });
        return groupByKeys(ids, rows, (r) => r.visitorId!);
      })
      .load(visitorId);
  }

  /** The full consent history, newest first. */
  consentsOf(loaders: RequestLoaders, visitorId: string): Promise<ConsentEntity[]> {
    return loaders
      .get<string, ConsentEntity[]>('visitor.consents', async (ids) => {
        const rows = await this.consents.find({
          where: { visitorId: In([...ids]) },
          order: { recordedAt: 'DESC', id: 'DESC' },
        });
        return groupByKeys(ids, rows, (r) => r.visitorId);
      })
      .load(visitorId);
  }

  /** For field resolvers of other types (Stay.visitor...): batched, within the caller's destination. */
  byId(loaders: RequestLoaders, auth: AuthContext, id: string): Promise<VisitorEntity | null> {
    return loaders
      .get<string, VisitorEntity | null>('visitor.byId', async (ids) => {
        const rows = await this.visitors.findBy({
          id: In([...ids]),
          destinationId: auth.destinationId,
          erasedAt: IsNull(),
        });
        return ids.map((id) => rows.find((r) => r.id === id) ?? null);
      })
      .load(id);
  }

  // ----------------------------------------------------------------- writes

  async create(
    auth: AuthContext,
    input: CreateVisitorInput,
    source = 'form',
  ): Promise<VisitorEntity> {
    const visitor = await this.dataSource.transaction((manager) =>
      this.createIn(manager, auth, input, source),
    );
    await this.changed(auth, visitor.id);
    return visitor;
  }

  /**
   * Creates a visitor inside the caller's transaction: fields, identities, consents, declared
   * interests; all or nothing. Also used by stays (a partner's inline guest) and the import.
   */
  async createIn(
    manager: EntityManager,
    auth: AuthContext,
    input: CreateVisitorInput,
    source: string,
  ): Promise<VisitorEntity> {
    const { value, errors } = checkVisitorFields(input);
    if (errors.length) throw badInput(errors.join('; '), { errors });
    if (value.email) await this.assertEmailFree(manager, auth, value.email);
    const repo = manager.getRepository(VisitorEntity);
    const visitor = await repo.save(
      repo.create({
        destinationId: auth.destinationId,
        firstName: null,
        lastName: null,
        email: null,
        phone: null,
        locale: null,
        countryCode: null,
        timeZone: null,
        tags: [],
        erasedAt: null,
        ...value,
      }),
    );
    for (const identity of input.identities ?? []) {
      await this.linkIn(manager, auth, visitor.id, identity);
    }
    for (const consent of input.consents ?? []) {
      await this.recordConsentIn(manager, auth, visitor.id, {
        ...consent,
        source: consent.source || source,
      });
    }
    if (input.declaredInterests?.length) {
      await this.interests.declareInterests(auth, visitor.id, input.declaredInterests, manager);
    }
    return visitor;
  }

  async update(auth: AuthContext, id: string, input: UpdateVisitorInput): Promise<VisitorEntity> {
    await this.dataSource.transaction(async (manager) => {
      const visitor = await this.get(auth, id, manager);
      const { value, errors } = checkVisitorFields(input);
      if (errors.length) throw badInput(errors.join('; '), { errors });
      if (value.email && value.email !== visitor.email) {
        await this.assertEmailFree(manager, auth, value.email);
      }
      if (Object.keys(value).length) {
        await manager.getRepository(VisitorEntity).update({ id: visitor.id }, value);
      }
      if (input.declaredInterests != null) {
        await this.interests.declareInterests(auth, visitor.id, input.declaredInterests, manager);
      }
    });
    await this.changed(auth, id);
    return this.get(auth, id);
  }

  async linkSocialIdentity(
    auth: AuthContext,
    visitorId: string,
    input: SocialIdentityInput,
  ): Promise<VisitorEntity> {
    return this.change(auth, visitorId, (manager) => this.linkIn(manager, auth, visitorId, input));
  }

  /**
   * Links an identity to a visitor. An identity already known without a visitor (a social author
   * seen before) is attached; one that belongs to another visitor answers CONFLICT naming it.
   */
  async linkIn(
    manager: EntityManager,
    auth: AuthContext,
    visitorId: string,
    input: SocialIdentityInput,
  ): Promise<SocialIdentityEntity> {
    const { provider, handle, externalId } = normalizeIdentity(input);
    const repo = manager.getRepository(SocialIdentityEntity);
    const qb = repo
      .createQueryBuilder('i')
      .where('i.destination_id = :d AND i.provider = :provider', {
        d: auth.destinationId,
        provider,
      });
    const matches = await qb
      .andWhere(
        '((:ext::text IS NOT NULL AND i.external_id = :ext) OR (:handle::text IS NOT NULL AND lower(i.handle) = lower(:handle)))',
        { ext: externalId, handle },
      )
      .getMany();
    const owned = matches.find((m) => m.visitorId && m.visitorId !== visitorId);
    if (owned) {
      throw conflict(`This ${provider} identity already belongs to visitor ${owned.visitorId}`, {
        field: 'identity',
        ownerId: owned.visitorId,
      });
    }
    if (matches.length > 1) {
      throw conflict('The handle and the externalId name two different known identities', {
        field: 'identity',
      });
    }
    const identity =
      matches[0] ??
      repo.create({
        destinationId: auth.destinationId,
        provider,
        followersCount: null,
        followingCount: null,
        postCount: null,
        lastSyncedAt: null,
      });
    identity.visitorId = visitorId;
    identity.handle = handle ?? identity.handle ?? null;
    identity.externalId = externalId ?? identity.externalId ?? null;
    return repo.save(identity);
  }

  async recordConsent(
    auth: AuthContext,
    visitorId: string,
    input: ConsentInput,
  ): Promise<VisitorEntity> {
    return this.change(auth, visitorId, (manager) =>
      this.recordConsentIn(manager, auth, visitorId, input),
    );
  }

  async recordConsentIn(
    manager: EntityManager,
    auth: AuthContext,
    visitorId: string,
    input: ConsentInput,
  ): Promise<void> {
    const source = input.source.trim();
    if (!source)
      throw badInput('a consent needs its source (form, import, partner:<name>...)', {
        field: 'source',
      });
    await manager.getRepository(ConsentEntity).insert({
      destinationId: auth.destinationId,
      visitorId,
      channel: input.channel ?? null,
      purpose: input.purpose,
      granted: input.granted,
      source,
      recordedAt: this.clock.now(),
    });
  }

  /**
   * A partner's guest: the visitor with this e-mail (then with one of these identities), with its
   * empty fields filled from the partner's data; or a new visitor. Suppressed addresses are refused.
   */
  async matchOrCreateIn(
    manager: EntityManager,
    auth: AuthContext,
    input: CreateVisitorInput,
    source: string,
  ): Promise<VisitorEntity> {
    const { value, errors } = checkVisitorFields(input);
    if (errors.length) throw badInput(errors.join('; '), { errors });
    if (
      value.email &&
      (await this.suppressions.isSuppressed(auth.destinationId, value.email, manager))
    ) {
      throw conflict('This address asked to be forgotten: it is not imported again', {
        field: 'email',
      });
    }
    if (
      input.identities?.length &&
      (await this.suppressions.anyIdentitySuppressed(
        auth.destinationId,
        input.identities.map(normalizeIdentity),
        manager,
      ))
    ) {
      throw conflict('This account asked to be forgotten: it is not imported again', {
        field: 'identities',
      });
    }
    const repo = manager.getRepository(VisitorEntity);
    let existing = value.email
      ? await repo.findOneBy({ destinationId: auth.destinationId, email: value.email })
      : null;
    for (const identity of input.identities ?? []) {
      if (existing) break;
      const { provider, handle, externalId } = normalizeIdentity(identity);
      const match = await manager
        .getRepository(SocialIdentityEntity)
        .createQueryBuilder('i')
        .where('i.destination_id = :d AND i.provider = :provider AND i.visitor_id IS NOT NULL', {
          d: auth.destinationId,
          provider,
        })
        .andWhere(
          '((:ext::text IS NOT NULL AND i.external_id = :ext) OR (:handle::text IS NOT NULL AND lower(i.handle) = lower(:handle)))',
          { ext: externalId, handle },
        )
        .getOne();
      if (match) existing = await repo.findOneBy({ id: match.visitorId! });
    }
    if (!existing || existing.erasedAt) return this.createIn(manager, auth, input, source);
    const fill: Partial<VisitorEntity> = {};
    for (const [k, v] of Object.entries(value) as [keyof VisitorEntity, unknown][]) {
      const current = existing[k];
      const empty = current == null || (Array.isArray(current) && current.length === 0);
      if (empty && v != null) Object.assign(fill, { [k]: v });
    }
    if (Object.keys(fill).length) await repo.update({ id: existing.id }, fill);
    for (const consent of input.consents ?? []) {
      await this.recordConsentIn(manager, auth, existing.id, consent);
    }
    return repo.findOneByOrFail({ id: existing.id });
  }

  private async assertEmailFree(manager: EntityManager, auth: AuthContext, email: string) {
    const owner = await manager
      .getRepository(VisitorEntity)
      .findOneBy({ destinationId: auth.destinationId, email });
    if (owner) {
      throw conflict(`Visitor ${owner.id} already has the e-mail ${email}`, {
        field: 'email',
        ownerId: owner.id,
      });
    }
  }

  /** One visible visitor changed in a transaction, then announced, then read back. */
  private async change(
    auth: AuthContext,
    visitorId: string,
    work: (manager: EntityManager) => Promise<unknown>,
  ): Promise<VisitorEntity> {
    await this.dataSource.transaction(async (manager) => {
      await this.get(auth, visitorId, manager);
      await work(manager);
    });
    await this.changed(auth, visitorId);
    return this.get(auth, visitorId);
  }

  /** After commit: tell whoever schedules from visitor data (segments, campaigns). */
  async changed(auth: AuthContext, visitorId: string): Promise<void> {
    const event: VisitorChangedEvent = { destinationId: auth.destinationId, visitorId };
    await this.events.emitAsync(VisitorEvents.CHANGED, event);
  }
}
