import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { groupByKeys, type RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { badInput } from '../../common/errors/app-error.js';
import { canonicalLocale, normalizeHashtag } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import type { UpsertPlaceArgs } from '../destinations/destinations.inputs.js';
import { DestinationsService } from '../destinations/destinations.service.js';
import { PlaceEntity } from '../destinations/place.entity.js';
import { InterestEntity } from './interest.entity.js';
import { EvidenceKind } from './interest-evidence.entity.js';
import type { UpsertInterestArgs } from './interests.inputs.js';
import {
  InterestInferenceService,
  type InferenceInput,
  type InferredEvidence,
} from './interest-inference.service.js';
import {
  InterestScoresService,
  type EvidenceItem,
  type RecordEvidenceOptions,
  type RefreshResult,
} from './interest-scores.service.js';
import { PlaceInterestEntity } from './place-interest.entity.js';
import type { VisitorInterestView } from './visitor-interest.model.js';

const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

@Injectable()
export class InterestsService {
  constructor(
    @InjectRepository(InterestEntity) private readonly interests: Repository<InterestEntity>,
    @InjectRepository(PlaceInterestEntity)
    private readonly placeInterests: Repository<PlaceInterestEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly destinations: DestinationsService,
    private readonly scores: InterestScoresService,
    private readonly inference: InterestInferenceService,
  ) {}

  list(auth: AuthContext): Promise<InterestEntity[]> {
    return this.interests.find({
      where: { destinationId: auth.destinationId },
      order: { slug: 'ASC' },
    });
  }

  /** The interests named by `slugs`, or BAD_USER_INPUT naming every unknown one. */
  async bySlugs(
    auth: AuthContext,
    slugs: string[],
    field: string,
    manager?: EntityManager,
  ): Promise<InterestEntity[]> {
    const unique = [...new Set(slugs.map((s) => s.trim().toLowerCase()))];
    if (!unique.length) return [];
    const repository = manager ? manager.getRepository(InterestEntity) : this.interests;
    const found = await repository.findBy({
      destinationId: auth.destinationId,
      slug: In(unique),
    });
    const unknown = unique.filter((s) => !found.some((i) => i.slug === s));
    if (unknown.length) {
      throw badInput(`${field}: unknown interests: ${unknown.join(', ')}`, { field, unknown });
    }
    return found;
  }

  /**
   * Makes `slugs` the visitor's declared interests (declaring replaces the declared set; an
   * empty list clears it): DECLARED evidence with source 'declared', then the scores refreshed.
   * Unknown slugs: BAD_USER_INPUT naming them (field `declaredInterests`), nothing changed.
   */
  async declareInterests(
    auth: AuthContext,
    visitorId: string,
    slugs: string[],
    manager?: EntityManager,
  ): Promise<InterestEntity[]> {
    const work = async (m: EntityManager) => {
      const interests = await this.bySlugs(auth, slugs, 'declaredInterests', m);
      await this.scores.replaceDeclared(
        auth.destinationId,
        visitorId,
        interests.map((i) => i.id),
        m,
      );
      return interests;
    };
    return manager?.queryRunner?.isTransactionActive
      ? work(manager)
      : (manager ?? this.dataSource.manager).transaction(work);
  }

  /** See InterestScoresService.recordEvidence. */
  recordEvidence(
    items: EvidenceItem[],
    manager?: EntityManager,
    options?: RecordEvidenceOptions,
  ): Promise<void> {
    return this.scores.recordEvidence(items, manager, options);
  }

  /** See InterestScoresService.refreshScores. */
  refreshScores(
    destinationId: string,
    visitorIds?: string[],
    manager?: EntityManager,
  ): Promise<RefreshResult> {
    return this.scores.refreshScores(destinationId, visitorIds, manager);
  }

  /**
   * A booked stay at a place that speaks of interests (a wine bar, a surf hostel) is STAY evidence
   * for its guest, from the arrival date; a cancelled stay, or one moved elsewhere, withdraws it.
   * Idempotent: the evidence of a stay is replaced, never added twice.
   */
  async syncStayEvidence(
    stay: {
      id: string;
      destinationId: string;
      visitorId: string;
      placeId: string | null;
      arrivalAt: Date;
      cancelled: boolean;
    },
    manager: EntityManager,
  ): Promise<void> {
    // For a DELETE, TypeORM's query() answers [rows, affected count].
    const [removed]: [{ visitor_id: string }[], number] = await manager.query(
      `DELETE FROM interest_evidence WHERE destination_id = $1 AND kind = 'STAY' AND source_id = $2
       RETURNING visitor_id`,
      [stay.destinationId, stay.id],
    );
    const interestIds: { interest_id: string }[] =
      stay.placeId && !stay.cancelled
        ? await manager.query(
            'SELECT interest_id FROM place_interests WHERE destination_id = $1 AND place_id = $2',
            [stay.destinationId, stay.placeId],
          )
        : [];
    if (interestIds.length) {
      // recordEvidence refreshes the guest's scores itself.
      await this.scores.recordEvidence(
        interestIds.map((r) => ({
          destinationId: stay.destinationId,
          visitorId: stay.visitorId,
          interestId: r.interest_id,
          kind: EvidenceKind.STAY,
          sourceId: stay.id,
          occurredAt: stay.arrivalAt,
        })),
        manager,
      );
    }
    const others = [...new Set(removed.map((r) => r.visitor_id))].filter(
      (v) => !interestIds.length || v !== stay.visitorId,
    );
    if (others.length) await this.scores.refreshScores(stay.destinationId, others, manager);
  }

  /** See InterestScoresService.moveEvidence (merges). */
  moveEvidence(manager: EntityManager, fromVisitorId: string, toVisitorId: string): Promise<void> {
    return this.scores.moveEvidence(manager, fromVisitorId, toVisitorId);
  }

  /** The `Visitor.interests(top)` field: best score first, batched per request. */
  visitorInterests(
    loaders: RequestLoaders,
    visitorId: string,
    top?: number | null,
  ): Promise<VisitorInterestView[]> {
    return this.scores.visitorInterests(loaders, visitorId, top);
  }

  /** See InterestInferenceService.infer. */
  infer(
    destinationId: string,
    input: InferenceInput,
    manager?: EntityManager,
  ): Promise<InferredEvidence[]> {
    return this.inference.infer(destinationId, input, manager);
  }

  async upsert(auth: AuthContext, args: UpsertInterestArgs): Promise<InterestEntity> {
    const slug = args.slug.trim().toLowerCase();
    if (!SLUG_RE.test(slug) || slug.length > 64) {
      throw badInput('slug must be lower-case words joined by "-", e.g. street-food', {
        field: 'slug',
      });
    }
    const existing = await this.interests.findOneBy({ destinationId: auth.destinationId, slug });
    const interest =
      existing ??
      this.interests.create({
        destinationId: auth.destinationId,
        slug,
        labels: {},
        keywords: [],
        hashtags: [],
        parentId: null,
      });
    if (args.labels != null) interest.labels = this.labels(args.labels);
    if (args.keywords != null) {
      interest.keywords = [
        ...new Set(args.keywords.map((k) => k.trim().toLowerCase()).filter(Boolean)),
      ];
    }
    if (args.hashtags != null) {
      const bad = args.hashtags.filter((h) => !normalizeHashtag(h));
      if (bad.length)
        throw badInput(`hashtags: not valid hashtags: ${bad.join(', ')}`, {
          field: 'hashtags',
          invalid: bad,
        });
      interest.hashtags = [...new Set(args.hashtags.map((h) => normalizeHashtag(h)!))];
    }
    if (args.parentSlug !== undefined) {
      if (args.parentSlug === null) interest.parentId = null;
      else {
        const [parent] = await this.bySlugs(auth, [args.parentSlug], 'parentSlug');
        if (parent.slug === slug || (existing && (await this.isAncestor(existing.id, parent.id)))) {
          throw badInput('parentSlug would make the taxonomy a cycle', { field: 'parentSlug' });
        }
        interest.parentId = parent.id;
      }
    }
    return this.interests.save(interest);
  }

  private labels(value: unknown): Record<string, string> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badInput('labels must be an object of locale → label, e.g. {"fr": "Gastronomie"}', {
        field: 'labels',
      });
    }
    const out: Record<string, string> = {};
    for (const [locale, label] of Object.entries(value)) {
      const canonical = canonicalLocale(locale);
      if (!canonical || typeof label !== 'string' || !label.trim()) {
        throw badInput(`labels: ${locale} must be a BCP 47 tag with a non-empty label`, {
          field: 'labels',
        });
      }
      out[canonical] = label.trim();
    }
    return out;
  }

  /** Is `candidate` (a would-be child) above `id`'s new parent? Walks up from the parent. */
  private async isAncestor(id: string, parentId: string): Promise<boolean> {
    const rows: { id: string }[] = await this.dataSource.query(
      `WITH RECURSIVE up AS (SELECT id, parent_id FROM interests WHERE id = $1
         UNION SELECT i.id, i.parent_id FROM interests i JOIN up ON i.id = up.parent_id)
       SELECT id FROM up WHERE id = $2`,
      [parentId, id],
    );
    return rows.length > 0;
  }

  /** The label in `locale`, else its language, else the destination's default locale, else the slug. */
  async label(
    auth: AuthContext,
    interest: InterestEntity,
    locale: string | null | undefined,
  ): Promise<string> {
    const labels = interest.labels ?? {};
    const wanted = locale ? canonicalLocale(locale) : undefined;
    if (wanted && labels[wanted]) return labels[wanted];
    const language = wanted?.split('-')[0];
    if (language && labels[language]) return labels[language];
    const fallback = (await this.destinations.get(auth)).defaultLocale;
    return (
      labels[fallback] ??
      labels[fallback.split('-')[0]] ??
      Object.values(labels)[0] ??
      interest.slug
    );
  }

  parent(loaders: RequestLoaders, interest: InterestEntity): Promise<InterestEntity | null> {
    if (!interest.parentId) return Promise.resolve(null);
    return loaders
      .get<string, InterestEntity | null>('interest.byId', async (ids) => {
        const rows = await this.interests.findBy({ id: In([...ids]) });
        return ids.map((id) => rows.find((r) => r.id === id) ?? null);
      })
      .load(interest.parentId);
  }

  ofPlace(loaders: RequestLoaders, place: PlaceEntity): Promise<InterestEntity[]> {
    return loaders
      .get<string, InterestEntity[]>('place.interests', async (placeIds) => {
        const links = await this.placeInterests.find({
          where: { placeId: In([...placeIds]) },
          relations: { interest: true },
          order: { interest: { slug: 'ASC' } },
        });
        return groupByKeys(placeIds, links, (l) => l.placeId).map((ls) =>
          ls.map((l) => l.interest!),
        );
      })
      .load(place.id);
  }

  /** upsertPlace lives here because it links interests, which sit below destinations. */
  async upsertPlace(auth: AuthContext, args: UpsertPlaceArgs): Promise<PlaceEntity> {
    // Read before the transaction: bySlugs uses its own connection, and on the embedded PGlite
    // (one session for all connections) a second connection waits for the transaction: deadlock.
    const interests = args.interestSlugs
      ? await this.bySlugs(auth, args.interestSlugs, 'interestSlugs')
      : undefined;
    return this.dataSource.transaction(async (manager) => {
      const place = await this.destinations.upsertPlace(auth, args, manager);
      if (interests) {
        const links = manager.getRepository(PlaceInterestEntity);
        await links.delete({ placeId: place.id });
        await links.insert(
          interests.map((i) => ({
            placeId: place.id,
            interestId: i.id,
            destinationId: auth.destinationId,
          })),
        );
      }
      return place;
    });
  }
}
