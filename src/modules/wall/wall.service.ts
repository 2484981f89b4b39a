import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { badInput, notFound } from '../../common/errors/app-error.js';
import { assertId, isUuid } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { InteractionEntity, InteractionKind, WallStatus } from '../social/interaction.entity.js';
import { SocialEvents, type InteractionsIngestingEvent } from '../social/social.events.js';
import { blocklistMatcher, cleanBlocklist } from './wall-blocklist.js';
import { WallNotifier, type WallChange } from './wall-notifier.js';
import type { PublicWallPost } from './wall-pubsub.js';

/** The kinds of interaction that can be on the wall: what people wrote, not likes or retweets. */
export const WALL_KINDS: readonly InteractionKind[] = [
  InteractionKind.POST,
  InteractionKind.QUOTE,
  InteractionKind.MENTION,
];
export const WALL_DEFAULT_SIZE = 20;
export const WALL_MAX_SIZE = 100;

/** What the public page shows of a destination: its name and what to post with. */
export interface PublicWallDestination {
  id: string;
  name: string;
  locale: string;
  hashtags: string[];
  handles: string[];
}

interface PostRow {
  id: string;
  handle: string | null;
  text: string;
  occurred_at: Date;
}

const toPublic = (r: PostRow): PublicWallPost => ({
  id: r.id,
  handle: r.handle,
  text: r.text,
  occurredAt: new Date(r.occurred_at).toISOString(),
});

/**
 * The showroom wall: moderation, the approved feed (GraphQL and the public page), the blocklist.
 * Candidates are chosen at ingest by the social pipeline (new positive POST/QUOTE/MENTION →
 * PENDING, possibly sensitive → REJECTED); this module rejects blocklisted ones in the same
 * transaction and lets the office decide on the rest.
 */
@Injectable()
export class WallService {
  private readonly matchers = new Map<string, ReturnType<typeof blocklistMatcher>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly notifier: WallNotifier,
    private readonly clock: Clock,
  ) {}

  // ---------------------------------------------------------------------------- moderation

  async moderate(
    auth: AuthContext,
    interactionId: string,
    status: WallStatus,
  ): Promise<InteractionEntity> {
    if (!Object.values(WallStatus).includes(status)) {
      throw badInput('status: unknown wall status', { argument: 'status' });
    }
    assertId(interactionId, 'interactionId');
    const moderatedBy = auth.principal.kind === 'user' ? auth.principal.userId : null;
    const change = await this.dataSource.transaction(async (m) => {
      const [row]: {
        kind: InteractionKind;
        text: string | null;
        wall_status: WallStatus | null;
      }[] = await m.query(
        `SELECT kind, text, wall_status FROM interactions
            WHERE id = $1 AND destination_id = $2 FOR UPDATE`,
        [interactionId, auth.destinationId],
      );
      if (!row) throw notFound('Interaction', interactionId);
      if (!WALL_KINDS.includes(row.kind) || row.text === null) {
        throw badInput(
          `only posts, quotes and mentions with a text can be on the wall (this one is a ${row.kind}${row.text === null ? ' without text' : ''})`,
          { argument: 'interactionId' },
        );
      }
      await m.query(
        `UPDATE interactions
            SET wall_status = $2::wall_status, moderated_at = $3, moderated_by_id = $4, updated_at = now()
          WHERE id = $1`,
        [interactionId, status, this.clock.now().toISOString(), moderatedBy],
      );
      // Screens learn about changes of what they show only: a post entering or leaving the wall.
      const was = row.wall_status === WallStatus.APPROVED;
      const is = status === WallStatus.APPROVED;
      if (was === is) return null;
      const change: WallChange = {
        destinationId: auth.destinationId,
        type: is ? 'approved' : 'removed',
        interactionId,
      };
      await this.notifier.announce(m, change);
      return change;
    });
    if (change) await this.notifier.committed(change);
    return this.dataSource
      .getRepository(InteractionEntity)
      .findOneByOrFail({ id: interactionId, destinationId: auth.destinationId });
  }

  // ------------------------------------------------------------------------------ the feed

  /** Approved posts, newest first; `after` is the id of the last post of the previous page. */
  async list(
    auth: AuthContext,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<InteractionEntity[]> {
    const limit = first ?? WALL_DEFAULT_SIZE;
    if (!Number.isInteger(limit) || limit < 0 || limit > WALL_MAX_SIZE) {
      throw badInput(`first must be between 0 and ${WALL_MAX_SIZE}`, { argument: 'first' });
    }
    const qb = this.dataSource
      .getRepository(InteractionEntity)
      .createQueryBuilder('i')
      .where('i.destination_id = :d', { d: auth.destinationId })
      .andWhere("i.wall_status = 'APPROVED' AND i.text IS NOT NULL");
    if (after) {
      assertId(after, 'after');
      const [anchor]: { occurred_at: Date }[] = await this.dataSource.query(
        'SELECT occurred_at FROM interactions WHERE id = $1 AND destination_id = $2',
        [after, auth.destinationId],
      );
      if (!anchor) throw notFound('Interaction', after);
      qb.andWhere('(i.occurred_at, i.id) < (:at::timestamptz, :aid::uuid)', {
        at: new Date(anchor.occurred_at).toISOString(),
        aid: after,
      });
    }
    if (limit === 0) return [];
    return qb.orderBy('i.occurred_at', 'DESC').addOrderBy('i.id', 'DESC').limit(limit).getMany();
  }

  /** The destination as a public screen may show it, or null when there is none. */
  async publicDestination(destinationId: string): Promise<PublicWallDestination | null> {
    if (!isUuid(destinationId)) return null;
    const [row]: {
      id: string;
      name: string;
      default_locale: string;
      tracked_hashtags: string[];
      twitter_handles: string[];
    }[] = await this.dataSource.query(
      `SELECT id, name, default_locale, tracked_hashtags, twitter_handles
         FROM destinations WHERE id = $1`,
      [destinationId],
    );
    return row
      ? {
          id: row.id,
          name: row.name,
          locale: row.default_locale,
          hashtags: row.tracked_hashtags,
          handles: row.twitter_handles,
        }
      : null;
  }

  /** The newest approved posts in their public form (handle, text, time; nothing else). */
  async publicPosts(destinationId: string, limit: number): Promise<PublicWallPost[]> {
    const rows: PostRow[] = await this.dataSource.query(
      `SELECT i.id, s.handle, i.text, i.occurred_at
         FROM interactions i JOIN social_identities s ON s.id = i.author_identity_id
        WHERE i.destination_id = $1 AND i.wall_status = 'APPROVED' AND i.text IS NOT NULL
        ORDER BY i.occurred_at DESC, i.id DESC
        LIMIT $2`,
      [destinationId, limit],
    );
    return rows.map(toPublic);
  }

  // ---------------------------------------------------------------------------- blocklist

  async blocklist(auth: AuthContext): Promise<string[]> {
    const [row]: { wall_blocklist: string[] }[] = await this.dataSource.query(
      'SELECT wall_blocklist FROM destinations WHERE id = $1',
      [auth.destinationId],
    );
    if (!row) throw notFound('Destination');
    return row.wall_blocklist;
  }

  /**
   * Replaces the list. Pending posts that contain a newly blocked word leave the queue at once;
   * approved ones stay (a person decided on them: they can reject them).
   */
  async updateBlocklist(auth: AuthContext, words: string[]): Promise<string[]> {
    const cleaned = cleanBlocklist(words);
    await this.dataSource.transaction(async (m) => {
      await m.query(
        'UPDATE destinations SET wall_blocklist = $2, updated_at = now() WHERE id = $1',
        [auth.destinationId, cleaned],
      );
      const pending: { id: string; text: string | null; hashtags: string[] }[] = await m.query(
        `SELECT id, text, hashtags FROM interactions
          WHERE destination_id = $1 AND wall_status = 'PENDING'`,
        [auth.destinationId],
      );
      await this.rejectBlocked(m, cleaned, pending);
    });
    return cleaned;
  }

  /**
   * Inside the ingest transaction: new PENDING posts with a blocked word are REJECTED before
   * anyone (the moderation queue, `interactionIngested`) sees them. Without a blocklist this is
   * one primary-key read of the destination per page; with one, the page's candidates are read
   * and matched here.
   */
  @OnEvent(SocialEvents.INGESTING, { suppressErrors: false })
  async onIngesting(event: InteractionsIngestingEvent): Promise<void> {
    if (!event.createdIds.length) return;
    // One statement either way; the candidates are read only when there is a blocklist.
    const [found]: {
      blocklist: string[];
      candidates: { id: string; text: string | null; hashtags: string[] }[];
    }[] = await event.manager.query(
      `SELECT d.wall_blocklist AS blocklist,
              coalesce((SELECT json_agg(json_build_object('id', i.id, 'text', i.text, 'hashtags', i.hashtags))
                          FROM interactions i
                         WHERE i.id = ANY($2::uuid[]) AND i.destination_id = d.id
                           AND i.wall_status = 'PENDING'), '[]') AS candidates
         FROM destinations d
        WHERE d.id = $1 AND cardinality(d.wall_blocklist) > 0`,
      [event.destinationId, event.createdIds],
    );
    if (found) await this.rejectBlocked(event.manager, found.blocklist, found.candidates);
  }

  /** Built once per list and process (a pure function of the words), not once per page. */
  private matcher(words: string[]): ReturnType<typeof blocklistMatcher> {
    const key = JSON.stringify(words);
    let matcher = this.matchers.get(key);
    if (!matcher) {
      if (this.matchers.size >= 100) this.matchers.clear();
      matcher = blocklistMatcher(words);
      this.matchers.set(key, matcher);
    }
    return matcher;
  }

  private async rejectBlocked(
    m: EntityManager,
    blocklist: string[],
    rows: { id: string; text: string | null; hashtags: string[] }[],
  ): Promise<void> {
    if (!blocklist.length || !rows.length) return;
    const blocked = this.matcher(blocklist);
    const ids = rows.filter((r) => blocked(r.text ?? '', r.hashtags)).map((r) => r.id);
    if (!ids.length) return;
    // moderated_by stays null: the blocklist decided, not a person.
    await m.query(
      `UPDATE interactions SET wall_status = 'REJECTED', updated_at = now()
        WHERE id = ANY($1::uuid[]) AND wall_status = 'PENDING'`,
      [ids],
    );
  }
}
