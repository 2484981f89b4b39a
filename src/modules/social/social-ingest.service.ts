import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { normalizeHandle } from '../../common/validation.js';
import {
  InterestInferenceService,
  type InferenceInput,
  TAXONOMY_COLUMNS,
  type Taxonomy,
} from '../interests/interest-inference.service.js';
import { scoreLocksSql, type EvidenceItem } from '../interests/interest-scores.service.js';
import { InterestsService } from '../interests/interests.service.js';
import { normalizeText, PhraseMatcher, type PostAnalysis } from '../interests/text-normalizer.js';
import { SocialProvider } from '../visitors/social-identity.entity.js';
import { SuppressionService } from '../visitors/suppression.service.js';
import { VisitorEvents, type VisitorChangedEvent } from '../visitors/visitor.events.js';
import { InteractionEntity, InteractionKind, WallStatus } from './interaction.entity.js';
import { postFacts } from './post-facts.js';
import { SocialEvents, type InteractionsIngestedEvent } from './social.events.js';
import { InteractionPubSub } from './interaction-pubsub.js';
import type { IngestReport } from './social.models.js';
import type { IngestOptions, NormalizedPost } from './social.types.js';

export const PROSPECT_TAG = 'prospect';

interface ExistingIdentity {
  id: string;
  provider: SocialProvider;
  external_id: string | null;
  handle: string | null;
  visitor_id: string | null;
  followers_count: number | null;
  following_count: number | null;
  post_count: number | null;
}

interface Author {
  provider: SocialProvider;
  externalId: string;
  handle: string | null;
  followers: number | null;
  following: number | null;
  posts: number | null;
  identityId?: string;
  visitorId?: string | null;
  /** The identity had a visitor before this page (a known person, not a new prospect). */
  known?: boolean;
}

interface PreparedRow {
  provider: SocialProvider;
  external_id: string;
  kind: InteractionKind;
  text: string | null;
  lang: string | null;
  url: string | null;
  occurred_at: string;
  author_identity_id?: string;
  visitor_id?: string | null;
  likes: number;
  shares: number;
  replies: number;
  quotes: number;
  impressions: number | null;
  hashtags: string[];
  mentions: string[];
  place_ids: string[];
  place_handles: string[];
  analysis: PostAnalysis | null;
  sentiment: number | null;
  in_reply_to_external_id: string | null;
  referenced_external_id: string | null;
  possibly_sensitive: boolean;
  wall_status: WallStatus | null;
  hasMetrics: boolean;
  authorKey: string;
  occurredAt: Date;
}

type Written = {
  id: string;
  provider: SocialProvider;
  external_id: string;
  inserted: boolean;
  visitor_id: string | null;
};

/** What a committed batch owes: its new interactions' interest evidence (see derive). */
interface Derivation {
  /** Its evidence_backlog row (migration EvidenceBacklog). */
  backlogId: string;
  taxonomy: Taxonomy;
  posts: DerivationInput[];
}

interface DerivationInput {
  interactionId: string;
  visitorId: string;
  occurredAt: Date;
  input: InferenceInput;
}

/** ingestStaged's answer: the batch is committed; its evidence and events are on the way. */
export interface StagedIngest {
  report: IngestReport;
  /**
   * Resolves once the batch's interest evidence and scores are committed and its events emitted;
   * rejects if they could not be (the batch's backlog row stays: deriveBacklog finishes it).
   */
  derived: Promise<void>;
}

const WALL_KINDS = new Set([InteractionKind.POST, InteractionKind.QUOTE, InteractionKind.MENTION]);
const AMPLIFYING = new Set([InteractionKind.RETWEET, InteractionKind.QUOTE, InteractionKind.REPLY]);

const count = (n: number | undefined | null) =>
  n === undefined || n === null || !Number.isFinite(n) ? null : Math.max(0, Math.trunc(n));

/**
 * One batched pipeline for a page of posts (see DESIGN "A post becomes knowledge"): identities,
 * their metrics history, visitors (prospects for unknown authors), interactions, interest
 * evidence and scores — a fixed number of statements whatever the page size. Then
 * `interactionIngested` and the `social.interactions.ingested` event. `ingest` writes it all in
 * one transaction. A poll's walk uses `ingestStaged`: identities and interactions commit first,
 * with a backlog row naming the new interactions, and their evidence follows in a transaction of
 * its own that deletes it, while the walk commits its next batch on another connection — the two
 * halves of the work on both of PostgreSQL's cores.
 *
 * Ingests of one destination are serialised by a transaction-scoped advisory lock, so that two
 * pages (a poll and `ingestInteractions`) never race on the same new author. Evidence transactions
 * lock their visitors' rows, then their score locks, as every writer of scores does.
 */
@Injectable()
export class SocialIngestService {
  private readonly logger = new Logger(SocialIngestService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly inference: InterestInferenceService,
    private readonly interests: InterestsService,
    private readonly events: EventEmitter2,
    private readonly pubsub: InteractionPubSub,
    private readonly suppressions: SuppressionService,
    private readonly clock: Clock,
  ) {}

  /** Ingests a page, its evidence and scores included, in one transaction; then its events. */
  async ingest(
    destinationId: string,
    items: NormalizedPost[],
    options: IngestOptions = { source: 'x' },
  ): Promise<IngestReport> {
    const { report, result } = await this.commit(destinationId, items, options, false);
    if (result) await this.announce(destinationId, options, result);
    return report;
  }

  /**
   * Commits a page's identities and interactions, and resolves then; their interest evidence and
   * scores follow in a transaction of their own, then the page's events (`derived`). A poll
   * commits its next page meanwhile.
   */
  async ingestStaged(
    destinationId: string,
    items: NormalizedPost[],
    options: IngestOptions = { source: 'x' },
  ): Promise<StagedIngest> {
    const { report, result } = await this.commit(destinationId, items, options, true);
    if (!result) return { report, derived: Promise.resolve() };
    const derived = (async () => {
      try {
        if (result.derivation) await this.derive(destinationId, result.derivation);
      } finally {
        // Also when the evidence failed: the interactions are committed, and listeners of new
        // prospects need not wait for the recovery of their interests.
        await this.announce(destinationId, options, result);
      }
    })();
    return { report, derived };
  }

  private async commit(
    destinationId: string,
    items: NormalizedPost[],
    options: IngestOptions,
    staged: boolean,
  ) {
    const report: IngestReport = {
      received: items.length,
      created: 0,
      updated: 0,
      linkedToVisitors: 0,
      rejected: [],
    };
    if (!items.length) return { report, result: null };
    // The same post twice in a page: the last reading wins.
    const unique = new Map<string, NormalizedPost>();
    for (const item of items) unique.set(`${item.provider}|${item.externalId}`, item);

    const result = await this.dataSource.transaction((m) =>
      this.ingestIn(m, destinationId, [...unique.values()], options, staged),
    );
    report.created = result.createdIds.length;
    report.updated = result.updatedIds.length;
    report.linkedToVisitors = result.linked;
    return { report, result };
  }

  /** After a page: its new prospects, the ingested event, the subscription. */
  private async announce(
    destinationId: string,
    options: IngestOptions,
    result: { createdIds: string[]; updatedIds: string[]; prospectIds: string[] },
  ): Promise<void> {
    // New prospects are visitor creations like any other: the page's, together, after commit.
    await Promise.all(
      result.prospectIds.map((visitorId) => {
        const changed: VisitorChangedEvent = { destinationId, visitorId };
        return this.events.emitAsync(VisitorEvents.CHANGED, changed).catch((e: unknown) => {
          this.logger.error(`listener of ${VisitorEvents.CHANGED} failed: ${String(e)}`);
        });
      }),
    );

    const event: InteractionsIngestedEvent = {
      destinationId,
      source: options.source,
      createdIds: result.createdIds,
      updatedIds: result.updatedIds,
    };
    await this.events.emitAsync(SocialEvents.INGESTED, event).catch((e: unknown) => {
      this.logger.error(`listener of ${SocialEvents.INGESTED} failed: ${String(e)}`);
    });
    if (result.createdIds.length && this.pubsub.hasSubscribers(destinationId)) {
      const rows = await this.dataSource.getRepository(InteractionEntity).find({
        where: { destinationId, id: In(result.createdIds) },
        order: { occurredAt: 'ASC' },
      });
      for (const interaction of rows) this.pubsub.publish({ destinationId, interaction });
    }
  }

  /**
   * Writes a committed page's interest evidence and refreshes its scores, in a transaction that
   * first deletes the page's backlog row: when a recovery (deriveBacklog) took it first, nothing is
   * written twice. Inference runs before the transaction: it holds no lock while matching text.
   */
  private async derive(destinationId: string, d: Derivation): Promise<void> {
    const evidence = this.evidenceFrom(destinationId, d.taxonomy, d.posts);
    await this.dataSource.transaction((m) =>
      this.writeEvidence(m, destinationId, evidence, d.backlogId),
    );
  }

  /**
   * Locks the evidence's visitors (their rows, then their score locks: the order of every writer of
   * scores) and records it. With `backlogId`, first claims (deletes) that backlog row, and writes
   * nothing if it is gone already.
   */
  private async writeEvidence(
    m: EntityManager,
    destinationId: string,
    evidence: EvidenceItem[],
    backlogId: string | null = null,
  ): Promise<void> {
    if (!evidence.length && !backlogId) return;
    const [{ claimed }]: { claimed: boolean }[] = await m.query(
      `WITH claimed AS (DELETE FROM evidence_backlog WHERE id = $2 RETURNING 1),
            go AS (SELECT $2::uuid IS NULL OR EXISTS (SELECT 1 FROM claimed) AS claimed),
            locked AS (${scoreLocksSql(
              '$1',
              `SELECT id FROM visitors WHERE id = ANY($3::uuid[]) AND (SELECT claimed FROM go)
                ORDER BY id FOR NO KEY UPDATE`,
            )})
       SELECT (SELECT claimed FROM go) AS claimed, (SELECT count(*) FROM locked)::int AS locks`,
      [destinationId, backlogId, [...new Set(evidence.map((e) => e.visitorId))]],
    );
    if (claimed && evidence.length) {
      await this.interests.recordEvidence(evidence, m, { scoresLocked: true });
    }
  }

  /**
   * Derives the evidence that committed pages still owe (their process stopped between the two
   * transactions, or their evidence failed), oldest first, one page per transaction; pages being
   * derived right now are left to their own transaction. From the interactions as stored: the
   * same text, hashtags, mentions and places the page's own derivation reads. A page that fails
   * stays owed and the others are derived; then the first failure is thrown. Returns how many
   * interactions it read.
   */
  async deriveBacklog(destinationId: string): Promise<number> {
    let read = 0;
    const failed: string[] = [];
    let failure: unknown;
    for (;;) {
      let claimedId: string | undefined;
      try {
        const done = await this.dataSource.transaction(async (m) => {
          const [claimed]: { id: string; ids: string[] }[] = await m.query(
            `WITH claimed AS (
               DELETE FROM evidence_backlog
                WHERE id = (SELECT id FROM evidence_backlog
                             WHERE destination_id = $1 AND id <> ALL($2::uuid[])
                             ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
               RETURNING id, interaction_ids)
             SELECT id, interaction_ids AS ids FROM claimed`,
            [destinationId, failed],
          );
          if (!claimed) return null;
          claimedId = claimed.id;
          const stored: {
            id: string;
            visitor_id: string;
            occurred_at: Date;
            text: string | null;
            hashtags: string[];
            mentions: string[];
            place_ids: string[];
          }[] = await m.query(
            `SELECT id, visitor_id, occurred_at, text, hashtags, mentions, place_ids
               FROM interactions
              WHERE destination_id = $1 AND id = ANY($2::uuid[]) AND visitor_id IS NOT NULL`,
            [destinationId, claimed.ids],
          );
          const posts: DerivationInput[] = stored.map((r) => ({
            interactionId: r.id,
            visitorId: r.visitor_id,
            occurredAt: r.occurred_at,
            input: {
              text: r.text,
              hashtags: r.hashtags,
              placeHandles: r.mentions,
              placeIds: r.place_ids,
            },
          }));
          const inferred = await this.inference.inferMany(
            destinationId,
            posts.map((p) => p.input),
            m,
          );
          await this.writeEvidence(
            m,
            destinationId,
            this.evidenceOf(destinationId, posts, inferred),
          );
          return stored.length;
        });
        if (done === null) break;
        read += done;
      } catch (error) {
        // Rolled back: the page is owed still. Without a claim there is nothing to skip.
        if (!claimedId) throw error;
        failed.push(claimedId);
        failure ??= error;
      }
    }
    if (failed.length) throw failure;
    return read;
  }

  /** The evidence of `posts` against a taxonomy read already (no query). */
  private evidenceFrom(
    destinationId: string,
    taxonomy: Taxonomy,
    posts: DerivationInput[],
  ): EvidenceItem[] {
    const inferred = this.inference.inferWith(
      taxonomy,
      posts.map((p) => p.input),
    );
    return this.evidenceOf(destinationId, posts, inferred);
  }

  private evidenceOf(
    destinationId: string,
    posts: DerivationInput[],
    inferred: { interestId: string; kind: EvidenceItem['kind']; weight: number }[][],
  ): EvidenceItem[] {
    const evidence: EvidenceItem[] = [];
    inferred.forEach((list, i) => {
      for (const e of list) {
        evidence.push({
          destinationId,
          visitorId: posts[i].visitorId,
          interestId: e.interestId,
          kind: e.kind,
          weight: e.weight,
          sourceId: posts[i].interactionId,
          occurredAt: posts[i].occurredAt,
        });
      }
    });
    return evidence;
  }

  private async ingestIn(
    m: EntityManager,
    destinationId: string,
    posts: NormalizedPost[],
    options: IngestOptions,
    staged: boolean,
  ): Promise<{
    createdIds: string[];
    updatedIds: string[];
    linked: number;
    prospectIds: string[];
    derivation: Derivation | null;
  }> {
    // The identity read below must see the identities committed by the previous holder: the lock
    // is its own statement (a statement's snapshot is taken before it waits on a lock).
    // A page read from X need not wait for its commit to be flushed to disk: until the poll's
    // cursor moves past it, X gives it again, and the cursor is stored by a later, synchronous
    // commit, which flushes the WAL of every page before it (so does any synchronous commit that
    // follows, e.g. the messages a campaign schedules for a new prospect). A crash of PostgreSQL
    // may lose the last pages' fractions of a second, never skip them. A partner's batch waits.
    await m.query(
      `SELECT pg_advisory_xact_lock(hashtext('social-ingest:' || $1::text)),
              CASE WHEN $2 THEN set_config('synchronous_commit', 'off', true) END`,
      [destinationId, options.source === 'x'],
    );

    // 1. Authors, from the posts alone.
    const authors = new Map<string, Author>();
    for (const item of posts) {
      const authorKey = `${item.provider}|${item.authorExternalId}`;
      const rawHandle = item.authorHandle?.trim().replace(/^@/, '') || null;
      const handle =
        rawHandle && item.provider === SocialProvider.TWITTER
          ? (normalizeHandle(rawHandle) ?? null)
          : rawHandle;
      const previous = authors.get(authorKey);
      authors.set(authorKey, {
        provider: item.provider,
        externalId: item.authorExternalId,
        handle: handle ?? previous?.handle ?? null,
        followers: count(item.authorFollowersCount) ?? previous?.followers ?? null,
        following: count(item.authorFollowingCount) ?? previous?.following ?? null,
        posts: count(item.authorPostCount) ?? previous?.posts ?? null,
      });
    }
    const authorList = [...authors.values()];
    const hashes = await this.suppressions.identityHashes(destinationId, authorList, m);
    const handled = authorList.filter((a) => a.handle);

    // 2. In one statement: the destination's own handles and places, its interest taxonomy, the
    // page's authors already known (by external id, then by handle), and which are suppressed.
    // Each author is looked up through the unique indexes (LATERAL ... OFFSET 0 keeps the nested
    // loop): without statistics the planner hashed every identity of the destination instead.
    const [context]: {
      handles: string[];
      places: { id: string; name: string; handle: string | null }[];
      taxonomy_interests: Taxonomy['interests'];
      taxonomy_places: Taxonomy['places'];
      identities: ExistingIdentity[];
      suppressed: string[];
    }[] = await m.query(
      `SELECT d.twitter_handles AS handles,
              (SELECT coalesce(json_agg(json_build_object('id', p.id, 'name', p.name, 'handle', p.twitter_handle)), '[]')
                 FROM places p WHERE p.destination_id = d.id) AS places,
              ${TAXONOMY_COLUMNS('d.id')},
              (SELECT coalesce(json_agg(e), '[]') FROM (
                 SELECT s.id, s.provider, s.external_id, s.handle, s.visitor_id, s.followers_count,
                        s.following_count, s.post_count
                   FROM unnest($2::social_provider[], $3::text[]) AS k(provider, external_id)
                  CROSS JOIN LATERAL (
                    SELECT * FROM social_identities s
                     WHERE s.destination_id = $1 AND s.provider = k.provider
                       AND s.external_id = k.external_id AND s.external_id IS NOT NULL
                    OFFSET 0) s
                  UNION
                 SELECT s.id, s.provider, s.external_id, s.handle, s.visitor_id, s.followers_count,
                        s.following_count, s.post_count
                   FROM unnest($4::social_provider[], $5::text[]) AS k(provider, handle)
                  CROSS JOIN LATERAL (
                    SELECT * FROM social_identities s
                     WHERE s.destination_id = $1 AND s.provider = k.provider
                       AND lower(s.handle) = k.handle AND s.handle IS NOT NULL
                    OFFSET 0) s
              ) e) AS identities,
              (SELECT coalesce(array_agg(s.address_hash), '{}') FROM suppressions s
                WHERE s.destination_id = $1 AND s.address_hash = ANY($6::text[])) AS suppressed
         FROM destinations d
        WHERE d.id = $1`,
      [
        destinationId,
        authorList.map((a) => a.provider),
        authorList.map((a) => a.externalId),
        handled.map((a) => a.provider),
        handled.map((a) => (a.handle as string).toLowerCase()),
        hashes.flat(),
      ],
    );
    if (!context) throw new Error(`destination ${destinationId} does not exist`);

    // An erased person's account is suppressed: their posts are not read, nothing of them kept.
    const suppressed = new Set(context.suppressed);
    const skipped = new Set<string>();
    authorList.forEach((a, i) => {
      if (hashes[i].some((h) => suppressed.has(h))) {
        skipped.add(`${a.provider}|${a.externalId}`);
        authors.delete(`${a.provider}|${a.externalId}`);
      }
    });
    const items = skipped.size
      ? posts.filter((p) => !skipped.has(`${p.provider}|${p.authorExternalId}`))
      : posts;
    if (!items.length)
      return { createdIds: [], updatedIds: [], linked: 0, prospectIds: [], derivation: null };

    const ownHandles = new Set(context.handles.map((h) => h.toLowerCase()));
    const placeByHandle = new Map<string, string>();
    const placeNames = new PhraseMatcher<string>();
    for (const p of context.places) {
      if (p.handle) {
        placeByHandle.set(p.handle.toLowerCase(), p.id);
        ownHandles.add(p.handle.toLowerCase());
      }
      placeNames.add(p.name, p.id);
    }

    // 3. Rows, prepared in memory.
    const rows: PreparedRow[] = items.map((item) => {
      const authorKey = `${item.provider}|${item.authorExternalId}`;
      const text = item.text ?? null;
      const facts = item.facts ?? postFacts(text);
      const hashtags = (item.hashtags ?? facts.analysis?.hashtags ?? []).map((h) =>
        h.replace(/^#/, ''),
      );
      const mentions = (item.mentions ?? facts.analysis?.mentions ?? []).map((h) =>
        h.replace(/^@/, ''),
      );
      const placeIds = new Set<string>();
      const placeHandles: string[] = [];
      for (const mention of mentions) {
        const id = placeByHandle.get(mention.toLowerCase());
        if (id) {
          placeIds.add(id);
          placeHandles.push(mention);
        }
      }
      if (text && context.places.length) {
        const words = normalizeText(text).split(' ').filter(Boolean);
        for (const id of placeNames.match(words)) placeIds.add(id);
        for (const tag of hashtags) for (const id of placeNames.matchHashtag(tag)) placeIds.add(id);
      }
      const kind =
        item.kind === InteractionKind.POST && mentions.some((h) => ownHandles.has(h.toLowerCase()))
          ? InteractionKind.MENTION
          : item.kind;
      const sentiment = facts.sentiment;
      const referenced =
        item.referencedExternalId ??
        (item.kind === InteractionKind.REPLY ? (item.inReplyToExternalId ?? null) : null);
      const possiblySensitive = item.possiblySensitive ?? false;
      return {
        provider: item.provider,
        external_id: item.externalId,
        kind,
        text,
        lang: item.lang ?? null,
        url: item.url ?? null,
        occurred_at: item.occurredAt.toISOString(),
        occurredAt: item.occurredAt,
        likes: count(item.metrics?.likes) ?? 0,
        shares: count(item.metrics?.shares) ?? 0,
        replies: count(item.metrics?.replies) ?? 0,
        quotes: count(item.metrics?.quotes) ?? 0,
        impressions: count(item.metrics?.impressions),
        hasMetrics: item.metrics !== undefined && item.metrics !== null,
        hashtags,
        mentions,
        place_ids: [...placeIds],
        place_handles: placeHandles,
        analysis: facts.analysis,
        sentiment,
        in_reply_to_external_id: item.inReplyToExternalId ?? null,
        referenced_external_id: AMPLIFYING.has(item.kind) ? referenced : null,
        possibly_sensitive: possiblySensitive,
        // A wall candidate: a new positive POST/QUOTE/MENTION; the wall module moderates it.
        wall_status:
          WALL_KINDS.has(kind) && (sentiment ?? 0) > 0
            ? possiblySensitive
              ? WallStatus.REJECTED
              : WallStatus.PENDING
            : null,
        authorKey,
      };
    });

    // 4. Identities, their metrics history and the prospects: one statement.
    const prospectIds = await this.upsertIdentities(
      m,
      destinationId,
      [...authors.values()],
      context.identities,
    );

    let linked = 0;
    for (const row of rows) {
      const author = authors.get(row.authorKey) as Author;
      row.author_identity_id = author.identityId;
      row.visitor_id = author.visitorId ?? null;
      if (author.known) linked++;
    }

    // 5. Interactions: one upsert per kind of update (with metrics → the network's numbers). Unstaged,
    // the first also takes the score locks of the page's visitors, for their evidence (step 6).
    const written: Written[] = [];
    const withMetrics = rows.filter((r) => r.hasMetrics);
    const withoutMetrics = rows.filter((r) => !r.hasMetrics);
    const lock = staged
      ? []
      : [...new Set(rows.map((r) => r.visitor_id).filter((v): v is string => !!v))];
    if (withMetrics.length)
      written.push(...(await this.upsertRows(m, destinationId, withMetrics, true, lock)));
    if (withoutMetrics.length) {
      const rest = withMetrics.length ? [] : lock;
      written.push(...(await this.upsertRows(m, destinationId, withoutMetrics, false, rest)));
    }

    // 6. Interest evidence of the new interactions, for their visitor: written now, or — staged —
    // by the transaction that follows the commit (derive), the backlog row naming what is owed
    // until then (a recovery derives it if that transaction never comes).
    const byExternal = new Map(rows.map((r) => [`${r.provider}|${r.external_id}`, r]));
    const sources = written.filter((w) => w.inserted && w.visitor_id);
    let derivation: Derivation | null = null;
    if (sources.length) {
      const taxonomy = { interests: context.taxonomy_interests, places: context.taxonomy_places };
      const owed: DerivationInput[] = sources.map((w) => {
        const r = byExternal.get(`${w.provider}|${w.external_id}`) as PreparedRow;
        return {
          interactionId: w.id,
          visitorId: w.visitor_id as string,
          occurredAt: r.occurredAt,
          input: {
            text: r.text,
            hashtags: r.hashtags,
            placeHandles: r.place_handles,
            placeIds: r.place_ids,
            analysis: r.analysis,
          },
        };
      });
      if (staged) {
        const [{ id }]: { id: string }[] = await m.query(
          `INSERT INTO evidence_backlog (destination_id, interaction_ids)
           VALUES ($1, $2::uuid[]) RETURNING id`,
          [destinationId, sources.map((w) => w.id)],
        );
        derivation = { backlogId: id, taxonomy, posts: owed };
      } else {
        const evidence = this.evidenceFrom(destinationId, taxonomy, owed);
        if (evidence.length)
          await this.interests.recordEvidence(evidence, m, { scoresLocked: true });
      }
    }

    const createdIds = written.filter((w) => w.inserted).map((w) => w.id);
    const updatedIds = written.filter((w) => !w.inserted).map((w) => w.id);
    await this.events.emitAsync(SocialEvents.INGESTING, {
      manager: m,
      destinationId,
      source: options.source,
      createdIds,
      updatedIds,
    });
    return { createdIds, updatedIds, linked, prospectIds, derivation };
  }

  /**
   * Links each author to their identity (found by external id, then by handle: it learns its
   * external id), records public metrics when they changed, and makes every author without a
   * visitor a prospect (no PII; the identity carries the public handle). One statement (plus one
   * to release a handle that changed hands, rare). Returns the new prospects' ids.
   */
  private async upsertIdentities(
    m: EntityManager,
    destinationId: string,
    authors: Author[],
    existing: ExistingIdentity[],
  ): Promise<string[]> {
    const byExternal = new Map<string, ExistingIdentity>();
    const byHandle = new Map<string, ExistingIdentity>();
    for (const e of existing) {
      if (e.external_id) byExternal.set(`${e.provider}|${e.external_id}`, e);
      if (e.handle) byHandle.set(`${e.provider}|${e.handle.toLowerCase()}`, e);
    }

    const releaseHandles = new Set<string>();
    const payload = authors.map((a, k) => {
      let found = byExternal.get(`${a.provider}|${a.externalId}`);
      const handleKey = a.handle ? `${a.provider}|${a.handle.toLowerCase()}` : undefined;
      const holder = handleKey ? byHandle.get(handleKey) : undefined;
      if (!found && holder && (!holder.external_id || holder.external_id === a.externalId)) {
        found = holder; // linked by handle: the identity learns its external id
      }
      if (holder && found !== holder) releaseHandles.add(holder.id); // the handle changed hands
      const hasMetrics = a.followers !== null || a.following !== null || a.posts !== null;
      // History for the derby: a row each time an account's public numbers are seen to change.
      const recordMetrics = found
        ? (a.followers !== null && a.followers !== found.followers_count) ||
          (a.following !== null && a.following !== found.following_count) ||
          (a.posts !== null && a.posts !== found.post_count)
        : hasMetrics;
      a.known = !!found?.visitor_id;
      return {
        k,
        id: found?.id ?? null,
        provider: a.provider,
        external_id: a.externalId,
        handle: a.handle,
        followers_count: a.followers,
        following_count: a.following,
        post_count: a.posts,
        needs_visitor: !found?.visitor_id,
        record_metrics: recordMetrics,
      };
    });
    if (releaseHandles.size) {
      await m.query(
        `UPDATE social_identities SET handle = NULL, updated_at = now() WHERE id = ANY($1::uuid[])`,
        [[...releaseHandles]],
      );
    }
    // Prospects are paired with the authors that need one by row number: they are all alike.
    // Foreign keys are checked at the end of the statement, when the new visitors exist.
    const linked: { k: number; id: string; visitor_id: string; prospect: boolean }[] =
      await m.query(
        `WITH x AS (
           SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(
             k int, id uuid, provider social_provider, external_id text, handle text,
             followers_count int, following_count int, post_count int,
             needs_visitor boolean, record_metrics boolean)
         ),
         orphan AS (
           SELECT k, row_number() OVER (ORDER BY k) AS n FROM x WHERE needs_visitor
         ),
         created AS (
           INSERT INTO visitors (destination_id, tags) SELECT $1, ARRAY[$4::text] FROM orphan
           RETURNING id
         ),
         prospect AS (
           SELECT o.k, c.id AS visitor_id
             FROM orphan o
             JOIN (SELECT id, row_number() OVER () AS n FROM created) c ON c.n = o.n
         ),
         updated AS (
           UPDATE social_identities s
              SET external_id = x.external_id,
                  handle = coalesce(x.handle, s.handle),
                  followers_count = coalesce(x.followers_count, s.followers_count),
                  following_count = coalesce(x.following_count, s.following_count),
                  post_count = coalesce(x.post_count, s.post_count),
                  visitor_id = coalesce(s.visitor_id, p.visitor_id),
                  last_synced_at = $3, updated_at = now()
             FROM x LEFT JOIN prospect p ON p.k = x.k
            WHERE x.id IS NOT NULL AND s.id = x.id
           RETURNING x.k, s.id, s.visitor_id, p.visitor_id AS prospect_id, x.record_metrics,
                     s.followers_count, s.following_count, s.post_count
         ),
         inserted AS (
           INSERT INTO social_identities
                  (destination_id, provider, external_id, handle, followers_count, following_count,
                   post_count, last_synced_at, visitor_id)
           SELECT $1, x.provider, x.external_id, x.handle, x.followers_count, x.following_count,
                  x.post_count, $3, p.visitor_id
             FROM x JOIN prospect p ON p.k = x.k
            WHERE x.id IS NULL
           RETURNING id, provider, external_id, visitor_id, followers_count, following_count, post_count
         ),
         metrics AS (
           INSERT INTO identity_metrics
                  (destination_id, identity_id, followers_count, following_count, post_count, recorded_at)
           SELECT $1, id, followers_count, following_count, post_count, $3 FROM updated WHERE record_metrics
            UNION ALL
           SELECT $1, i.id, i.followers_count, i.following_count, i.post_count, $3
             FROM inserted i JOIN x ON x.provider = i.provider AND x.external_id = i.external_id
            WHERE x.record_metrics
           ON CONFLICT (identity_id, recorded_at) DO UPDATE
              SET followers_count = EXCLUDED.followers_count,
                  following_count = EXCLUDED.following_count, post_count = EXCLUDED.post_count
         )
         SELECT k, id, visitor_id, visitor_id = prospect_id AS prospect FROM updated
          UNION ALL
         SELECT x.k, i.id, i.visitor_id, true FROM inserted i
           JOIN x ON x.provider = i.provider AND x.external_id = i.external_id`,
        [destinationId, JSON.stringify(payload), this.clock.now().toISOString(), PROSPECT_TAG],
      );
    const prospectIds: string[] = [];
    for (const row of linked) {
      const a = authors[row.k];
      a.identityId = row.id;
      a.visitorId = row.visitor_id;
      if (row.prospect) prospectIds.push(row.visitor_id);
    }
    return prospectIds;
  }

  /**
   * With `lockScores` (an unstaged ingest), the statement first locks those visitors' rows (in id
   * order), then takes their score locks (scoreLocksSql), before it inserts anything: evidence is
   * then recorded without a statement of its own to take them (the rows' foreign-key checks find
   * them held, too). A staged ingest locks nothing here: the evidence transaction of the batch
   * before, running meanwhile, holds its visitors' rows. The row lock is FOR NO KEY UPDATE, the lock the
   * visitor_interests triggers take (lock_visitors) before they rewrite a visitor's strong
   * interests: taken here, before the score locks, the trigger finds it held. A weaker lock here
   * (FOR KEY SHARE, as it was) was upgraded by the trigger after the score locks — a second write
   * of each row's lock, and a deadlock with a path that holds the row and waits for a score lock.
   */
  private upsertRows(
    m: EntityManager,
    destinationId: string,
    rows: PreparedRow[],
    metrics: boolean,
    lockScores: string[],
  ): Promise<Written[]> {
    const onConflict = metrics
      ? `likes = EXCLUDED.likes, shares = EXCLUDED.shares, replies = EXCLUDED.replies,
         quotes = EXCLUDED.quotes, impressions = coalesce(EXCLUDED.impressions, interactions.impressions),
         updated_at = now()`
      : `updated_at = now()`;
    const payload = rows.map((r) => ({
      provider: r.provider,
      external_id: r.external_id,
      kind: r.kind,
      text: r.text,
      lang: r.lang,
      url: r.url,
      occurred_at: r.occurred_at,
      author_identity_id: r.author_identity_id,
      visitor_id: r.visitor_id,
      likes: r.likes,
      shares: r.shares,
      replies: r.replies,
      quotes: r.quotes,
      impressions: r.impressions,
      hashtags: r.hashtags,
      mentions: r.mentions,
      place_ids: r.place_ids,
      sentiment: r.sentiment,
      in_reply_to_external_id: r.in_reply_to_external_id,
      referenced_external_id: r.referenced_external_id,
      possibly_sensitive: r.possibly_sensitive,
      wall_status: r.wall_status,
    }));
    const locks = lockScores.length
      ? `WITH locked AS (${scoreLocksSql(
          '$1',
          'SELECT id FROM visitors WHERE id = ANY($3::uuid[]) ORDER BY id FOR NO KEY UPDATE',
        )})
         `
      : '';
    return m.query(
      `${locks}INSERT INTO interactions
              (destination_id, provider, external_id, kind, text, lang, url, occurred_at,
               author_identity_id, visitor_id, likes, shares, replies, quotes, impressions,
               hashtags, mentions, place_ids, sentiment, in_reply_to_external_id,
               referenced_external_id, possibly_sensitive, wall_status)
       SELECT $1, x.provider::social_provider, x.external_id, x.kind::interaction_kind, x.text, x.lang,
              x.url, x.occurred_at, x.author_identity_id, x.visitor_id, x.likes, x.shares, x.replies,
              x.quotes, x.impressions, x.hashtags, x.mentions, x.place_ids, x.sentiment,
              x.in_reply_to_external_id, x.referenced_external_id, x.possibly_sensitive,
              x.wall_status::wall_status
         FROM jsonb_to_recordset($2::jsonb) AS x(
              provider text, external_id text, kind text, text text, lang text, url text,
              occurred_at timestamptz, author_identity_id uuid, visitor_id uuid, likes int,
              shares int, replies int, quotes int, impressions int, hashtags text[],
              mentions text[], place_ids uuid[], sentiment float8, in_reply_to_external_id text,
              referenced_external_id text, possibly_sensitive boolean, wall_status text)
        ${lockScores.length ? 'WHERE (SELECT count(*) FROM locked) >= 0' : ''}
       ON CONFLICT (destination_id, provider, external_id) DO UPDATE SET ${onConflict}
       RETURNING id, provider, external_id, (xmax = 0) AS inserted, visitor_id`,
      [destinationId, JSON.stringify(payload), ...(lockScores.length ? [lockScores] : [])],
    );
  }
}
