import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { groupByKeys, type RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { badInput } from '../../common/errors/app-error.js';
import { pageRequest, toConnection, type PageArgs } from '../../common/pagination/relay.js';
import { assertId, canonicalLocale, isUuid, normalizeHandle } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import { InterestEntity } from '../interests/interest.entity.js';
import { SocialIdentityEntity, SocialProvider } from '../visitors/social-identity.entity.js';
import {
  VisitorEvents,
  type VisitorErasingEvent,
  type VisitorMergingEvent,
} from '../visitors/visitor.events.js';
import { InteractionEntity, InteractionKind, WallStatus } from './interaction.entity.js';
import type { IngestReport, InteractionFilterInput, InteractionInput } from './social.models.js';
import { SocialIngestService } from './social-ingest.service.js';
import type { NormalizedPost } from './social.types.js';

export const MAX_INGEST_ITEMS = 5000;
const MAX_TEXT = 10_000;
const MAX_ID = 200;

/** Every reason an `InteractionInput` is refused, `field: reason` (empty when it is fine). */
export function validateInteractionInput(item: InteractionInput, now: Date): string[] {
  const errors: string[] = [];
  const id = (v: unknown) => typeof v === 'string' && v.trim().length > 0 && v.length <= MAX_ID;
  if (!Object.values(SocialProvider).includes(item.provider)) errors.push('provider: unknown');
  if (!Object.values(InteractionKind).includes(item.kind)) errors.push('kind: unknown');
  if (!id(item.externalId)) errors.push(`externalId: required, at most ${MAX_ID} characters`);
  if (!id(item.authorExternalId))
    errors.push(`authorExternalId: required, at most ${MAX_ID} characters`);
  if (item.authorHandle != null) {
    const h = item.authorHandle.trim().replace(/^@/, '');
    if (!h) errors.push('authorHandle: empty');
    else if (item.provider === SocialProvider.TWITTER && !normalizeHandle(h))
      errors.push(`authorHandle: ${item.authorHandle} is not a valid X handle`);
    else if (h.length > 100) errors.push('authorHandle: at most 100 characters');
  }
  for (const f of ['authorFollowersCount', 'authorFollowingCount'] as const) {
    const v = item[f];
    if (v != null && (!Number.isInteger(v) || v < 0)) errors.push(`${f}: must be >= 0`);
  }
  if (item.text != null && item.text.length > MAX_TEXT)
    errors.push(`text: at most ${MAX_TEXT} characters`);
  if (item.lang != null && !canonicalLocale(item.lang)) errors.push('lang: not a language tag');
  if (item.url != null && !/^https?:\/\/[^\s]+$/i.test(item.url))
    errors.push('url: not an http(s) URL');
  const at = item.occurredAt instanceof Date ? item.occurredAt : new Date(item.occurredAt);
  if (Number.isNaN(at.getTime())) errors.push('occurredAt: not a date');
  else if (at.getTime() > now.getTime() + 24 * 3600_000) errors.push('occurredAt: in the future');
  if (item.inReplyToExternalId != null && !id(item.inReplyToExternalId))
    errors.push('inReplyToExternalId: empty or too long');
  if (item.kind === InteractionKind.REPLY && !item.inReplyToExternalId)
    errors.push('inReplyToExternalId: required for a REPLY');
  for (const [k, v] of Object.entries(item.metrics ?? {})) {
    if (v != null && (!Number.isInteger(v) || (v as number) < 0))
      errors.push(`metrics.${k}: must be >= 0`);
  }
  return errors;
}

export function toNormalizedPost(item: InteractionInput): NormalizedPost {
  const m = item.metrics;
  return {
    provider: item.provider,
    externalId: item.externalId.trim(),
    kind: item.kind,
    authorExternalId: item.authorExternalId.trim(),
    authorHandle: item.authorHandle?.trim().replace(/^@/, '') || undefined,
    authorFollowersCount: item.authorFollowersCount ?? undefined,
    authorFollowingCount: item.authorFollowingCount ?? undefined,
    text: item.text ?? undefined,
    lang: item.lang ?? undefined,
    url: item.url ?? undefined,
    occurredAt: new Date(item.occurredAt),
    inReplyToExternalId: item.inReplyToExternalId ?? undefined,
    metrics: m
      ? {
          likes: m.likes ?? undefined,
          shares: m.shares ?? undefined,
          replies: m.replies ?? undefined,
          quotes: m.quotes ?? undefined,
          impressions: m.impressions ?? undefined,
        }
      : undefined,
  };
}

/** Reading interactions, `ingestInteractions`, and what visitors' merge and erasure do to them. */
@Injectable()
export class InteractionsService {
  private readonly logger = new Logger(InteractionsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ingestService: SocialIngestService,
    private readonly clock: Clock,
  ) {}

  async ingestInputs(auth: AuthContext, items: InteractionInput[]): Promise<IngestReport> {
    if (items.length > MAX_INGEST_ITEMS) {
      throw badInput(`at most ${MAX_INGEST_ITEMS} items per call`, { argument: 'items' });
    }
    const now = this.clock.now();
    const rejected: IngestReport['rejected'] = [];
    const good: NormalizedPost[] = [];
    const seen = new Map<string, number>();
    items.forEach((item, line) => {
      const errors = validateInteractionInput(item, now);
      const key = `${item.provider}|${item.externalId?.trim()}`;
      const first = seen.get(key);
      if (first !== undefined) errors.push(`externalId: same as item ${first}`);
      else seen.set(key, line);
      if (errors.length) rejected.push({ line, errors });
      else good.push(toNormalizedPost(item));
    });
    // Evidence that earlier pages still owe (their derivation failed) is derived first.
    await this.ingestService.deriveBacklog(auth.destinationId).catch((error: unknown) => {
      this.logger.error(`evidence backlog of ${auth.destinationId}: ${String(error)}`);
    });
    const report = await this.ingestService.ingest(auth.destinationId, good, { source: 'partner' });
    return { ...report, received: items.length, rejected };
  }

  /** Newest first; cursor on (occurredAt in ms, id); exact total. */
  async list(auth: AuthContext, filter: InteractionFilterInput | null | undefined, page: PageArgs) {
    const { limit, after } = pageRequest(page);
    const base = this.dataSource
      .getRepository(InteractionEntity)
      .createQueryBuilder('i')
      .where('i.destination_id = :d', { d: auth.destinationId });
    this.applyFilter(base, filter ?? {});
    const rows = base.clone();
    if (after) {
      if (typeof after.sortKey !== 'number' || !isUuid(after.id))
        throw badInput('Invalid cursor', { argument: 'after' });
      rows.andWhere('(i.occurred_at, i.id) < (:at::timestamptz, :aid::uuid)', {
        at: new Date(after.sortKey).toISOString(),
        aid: after.id,
      });
    }
    const [nodes, totalCount] = await Promise.all([
      rows
        .orderBy('i.occurred_at', 'DESC')
        .addOrderBy('i.id', 'DESC')
        .limit(limit + 1)
        .getMany(),
      base.getCount(),
    ]);
    return toConnection(nodes, limit, totalCount, (i) => i.occurredAt.getTime());
  }

  private applyFilter(qb: SelectQueryBuilder<InteractionEntity>, f: InteractionFilterInput) {
    if (f.provider) qb.andWhere('i.provider = :provider', { provider: f.provider });
    if (f.kinds?.length) qb.andWhere('i.kind IN (:...kinds)', { kinds: f.kinds });
    if (f.visitorId)
      qb.andWhere('i.visitor_id = :visitorId', { visitorId: assertId(f.visitorId, 'visitorId') });
    if (f.hashtag) {
      const tag = f.hashtag.trim().replace(/^#/, '').toLowerCase();
      qb.andWhere('EXISTS (SELECT 1 FROM unnest(i.hashtags) h WHERE lower(h) = :tag)', { tag });
    }
    if (f.placeId)
      qb.andWhere(':placeId::uuid = ANY(i.place_ids)', { placeId: assertId(f.placeId, 'placeId') });
    if (f.since) qb.andWhere('i.occurred_at >= :since', { since: f.since });
    if (f.until) qb.andWhere('i.occurred_at < :until', { until: f.until });
    if (f.wallStatus === WallStatus.REJECTED) {
      // Not a wall candidate (null) reads as REJECTED: it is not shown on the wall.
      qb.andWhere("(i.wall_status = 'REJECTED' OR i.wall_status IS NULL)");
    } else if (f.wallStatus) {
      qb.andWhere('i.wall_status = :wallStatus', { wallStatus: f.wallStatus });
    }
    if (f.interest) {
      qb.andWhere(
        `EXISTS (SELECT 1 FROM interest_evidence e
                   JOIN interests n ON n.id = e.interest_id
                   LEFT JOIN interests p ON p.id = n.parent_id
                  WHERE e.destination_id = i.destination_id AND e.source_id = i.id::text
                    AND (n.slug = :interest OR p.slug = :interest))`,
        { interest: f.interest.trim().toLowerCase() },
      );
    }
  }

  // ------------------------------------------------------------- loaders for field resolvers

  identity(loaders: RequestLoaders, id: string): Promise<SocialIdentityEntity> {
    return loaders
      .get<string, SocialIdentityEntity>('interaction.identity', async (ids) => {
        const rows = await this.dataSource
          .getRepository(SocialIdentityEntity)
          .createQueryBuilder('s')
          .where('s.id IN (:...ids)', { ids: [...ids] })
          .getMany();
        return groupByKeys(ids, rows, (r) => r.id).map((g) => g[0]);
      })
      .load(id);
  }

  places(loaders: RequestLoaders, ids: string[]): Promise<PlaceEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return loaders
      .get<string, PlaceEntity | null>('interaction.place', async (keys) => {
        const rows = await this.dataSource
          .getRepository(PlaceEntity)
          .createQueryBuilder('p')
          .where('p.id IN (:...ids)', { ids: [...keys] })
          .getMany();
        return groupByKeys(keys, rows, (r) => r.id).map((g) => g[0] ?? null);
      })
      .loadMany(ids)
      .then((list) => list.filter((p): p is PlaceEntity => p instanceof PlaceEntity));
  }

  interests(loaders: RequestLoaders, interactionId: string): Promise<InterestEntity[]> {
    return loaders
      .get<string, InterestEntity[]>('interaction.interests', async (ids) => {
        const rows: { source_id: string; interest_id: string }[] = await this.dataSource.query(
          'SELECT DISTINCT source_id, interest_id FROM interest_evidence WHERE source_id = ANY($1::text[])',
          [[...ids]],
        );
        const interestIds = [...new Set(rows.map((r) => r.interest_id))];
        const interests = interestIds.length
          ? await this.dataSource
              .getRepository(InterestEntity)
              .createQueryBuilder('n')
              .where('n.id IN (:...ids)', { ids: interestIds })
              .orderBy('n.slug')
              .getMany()
          : [];
        const byId = new Map(interests.map((n) => [n.id, n]));
        return groupByKeys(ids, rows, (r) => r.source_id).map((g) =>
          g.map((r) => byId.get(r.interest_id)).filter((n): n is InterestEntity => !!n),
        );
      })
      .load(interactionId);
  }

  inReplyTo(
    loaders: RequestLoaders,
    interaction: InteractionEntity,
  ): Promise<InteractionEntity | null> {
    if (!interaction.inReplyToExternalId) return Promise.resolve(null);
    const key = JSON.stringify([
      interaction.destinationId,
      interaction.provider,
      interaction.inReplyToExternalId,
    ]);
    return loaders
      .get<string, InteractionEntity | null>('interaction.byExternal', async (keys) => {
        const parsed = keys.map((k) => JSON.parse(k) as [string, string, string]);
        const rows: { id: string }[] = await this.dataSource.query(
          `SELECT i.id FROM interactions i
             JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS x(d, p, e)
               ON i.destination_id = x.d AND i.provider::text = x.p AND i.external_id = x.e`,
          [parsed.map((p) => p[0]), parsed.map((p) => p[1]), parsed.map((p) => p[2])],
        );
        const found = rows.length
          ? await this.dataSource
              .getRepository(InteractionEntity)
              .createQueryBuilder('i')
              .where('i.id IN (:...ids)', { ids: rows.map((r) => r.id) })
              .getMany()
          : [];
        return keys.map((k) => {
          const [d, p, e] = JSON.parse(k) as [string, string, string];
          return (
            found.find((i) => i.destinationId === d && i.provider === p && i.externalId === e) ??
            null
          );
        });
      })
      .load(key);
  }

  // --------------------------------------------------------------- visitors' merge and erasure

  @OnEvent(VisitorEvents.MERGING, { suppressErrors: false })
  async onMerging(event: VisitorMergingEvent): Promise<void> {
    await event.manager.query(
      'UPDATE interactions SET visitor_id = $3, updated_at = now() WHERE destination_id = $1 AND visitor_id = $2',
      [event.destinationId, event.mergeId, event.keepId],
    );
  }

  /**
   * The person's interactions stay (the destination's numbers do not change) but say nothing
   * about them any more: unlinked from the visitor, text, URL, hashtags and mentions blanked, and
   * moved to a fresh anonymous identity per provider — the erasure then deletes the person's
   * identities, which would otherwise cascade to these rows.
   */
  @OnEvent(VisitorEvents.ERASING, { suppressErrors: false })
  async onErasing(event: VisitorErasingEvent): Promise<void> {
    await event.manager.query(
      `WITH mine AS (
         SELECT i.id, i.provider FROM interactions i
          WHERE i.destination_id = $1
            AND (i.visitor_id = $2 OR i.author_identity_id IN
                 (SELECT s.id FROM social_identities s WHERE s.destination_id = $1 AND s.visitor_id = $2))
       ), anon AS (
         INSERT INTO social_identities (destination_id, provider)
         SELECT DISTINCT $1::uuid, provider FROM mine
         RETURNING id, provider
       )
       UPDATE interactions i
          SET visitor_id = NULL, text = NULL, url = NULL, hashtags = '{}', mentions = '{}',
              author_identity_id = anon.id, updated_at = now()
         FROM mine JOIN anon ON anon.provider = mine.provider
        WHERE i.id = mine.id`,
      [event.destinationId, event.visitorId],
    );
  }
}
