import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { badInput } from '../../common/errors/app-error.js';
import { normalizeHandle } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { InteractionEntity } from '../social/interaction.entity.js';
import {
  MAX_DERBY_HANDLES,
  Trophy,
  type DerbyAward,
  type DerbyInput,
  type DerbyResult,
  type DerbyStanding,
} from './ambassador.models.js';
import { POST_KINDS } from './ambassador-scores.service.js';

interface StandingRow {
  handle: string;
  followers: number;
  following: number;
  posts: number;
  shares: number;
  received: number;
  best_id: string | null;
  best_shares: number | null;
}

/**
 * The Social Derby: accounts of the destination (places, the office) compared over a period
 * [from, to). Followers and following are the values at the end of the period from the metrics
 * history (the last seen at or before `to`; else the first seen after it, the nearest we know;
 * else the account's current numbers). A post's shares, likes, replies and quotes are the larger
 * of its public metric and the interactions we stored that reference it, as in the scores.
 */
@Injectable()
export class DerbyService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async derby(auth: AuthContext, input: DerbyInput): Promise<DerbyResult> {
    const { handles, from, to } = validate(input);
    const rows: StandingRow[] = await this.dataSource.query(
      `WITH h AS (SELECT handle, ord FROM unnest($2::text[]) WITH ORDINALITY AS h(handle, ord)),
       ids AS (
         SELECT h.handle, h.ord, s.id, s.followers_count, s.following_count
           FROM h LEFT JOIN social_identities s
             ON s.destination_id = $1 AND s.provider = 'TWITTER' AND lower(s.handle) = lower(h.handle)
       ),
       posts AS (
         SELECT ids.handle, i.id, i.occurred_at,
                greatest(i.shares, x.retweets) AS shares,
                greatest(i.likes, x.likes) + greatest(i.shares, x.retweets)
                  + greatest(i.replies, x.replies) + greatest(i.quotes, x.quotes) AS received
           FROM ids
           JOIN interactions i
             ON i.destination_id = $1 AND i.author_identity_id = ids.id
            AND i.kind IN (${POST_KINDS.map((k) => `'${k}'`).join(', ')})
            AND i.occurred_at >= $3 AND i.occurred_at < $4
          CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE r.kind = 'RETWEET') AS retweets,
                       count(*) FILTER (WHERE r.kind = 'LIKE') AS likes,
                       count(*) FILTER (WHERE r.kind = 'REPLY') AS replies,
                       count(*) FILTER (WHERE r.kind = 'QUOTE') AS quotes
                  FROM interactions r
                 WHERE r.destination_id = $1 AND r.referenced_external_id = i.external_id
                   AND r.provider = i.provider) x
       ),
       agg AS (
         SELECT handle, count(*)::int AS posts, sum(shares)::int AS shares,
                sum(received)::int AS received,
                (array_agg(id ORDER BY shares DESC, occurred_at, id))[1] AS best_id,
                max(shares)::int AS best_shares
           FROM posts GROUP BY handle
       )
       SELECT ids.handle,
              coalesce(m.followers_count, ids.followers_count, 0)::int AS followers,
              coalesce(m.following_count, ids.following_count, 0)::int AS following,
              coalesce(agg.posts, 0) AS posts, coalesce(agg.shares, 0) AS shares,
              coalesce(agg.received, 0) AS received, agg.best_id, agg.best_shares
         FROM ids
         LEFT JOIN LATERAL (
                SELECT im.followers_count, im.following_count FROM identity_metrics im
                 WHERE im.identity_id = ids.id
                 ORDER BY (im.recorded_at <= $4) DESC,
                          CASE WHEN im.recorded_at <= $4 THEN im.recorded_at END DESC NULLS LAST,
                          im.recorded_at
                 LIMIT 1) m ON true
         LEFT JOIN agg ON agg.handle = ids.handle
        ORDER BY ids.ord`,
      [auth.destinationId, handles, from.toISOString(), to.toISOString()],
    );
    const bestIds = rows.map((r) => r.best_id).filter((id): id is string => !!id);
    const posts = bestIds.length
      ? await this.dataSource
          .getRepository(InteractionEntity)
          .createQueryBuilder('i')
          .where('i.destination_id = :d AND i.id IN (:...ids)', {
            d: auth.destinationId,
            ids: bestIds,
          })
          .getMany()
      : [];
    const postById = new Map(posts.map((p) => [p.id, p]));
    const standings: DerbyStanding[] = rows.map((r) => ({
      handle: r.handle,
      followers: r.followers,
      following: r.following,
      posts: r.posts,
      shares: r.shares,
      engagementRate: r.posts > 0 && r.followers > 0 ? r.received / r.posts / r.followers : 0,
      bestPost: (r.best_id && postById.get(r.best_id)) || null,
    }));
    const bestShares = new Map(rows.map((r) => [r.handle, r.best_shares ?? 0]));
    const awards = [
      award(Trophy.MOST_FOLLOWERS, standings, (s) => s.followers),
      award(Trophy.BEST_FOLLOWER_RATIO, standings, (s) => s.followers / Math.max(s.following, 1)),
      award(Trophy.MOST_SHARED_POST, standings, (s) => bestShares.get(s.handle) ?? 0, true),
      award(Trophy.HIGHEST_ENGAGEMENT, standings, (s) => s.engagementRate),
    ].filter((a): a is DerbyAward => !!a);
    return { from, to, standings, awards };
  }
}

/** Handles without '@', deduplicated case-insensitively (the first spelling wins); the period. */
function validate(input: DerbyInput): { handles: string[]; from: Date; to: Date } {
  const { from, to } = input;
  if (!(from instanceof Date) || Number.isNaN(from.getTime()))
    throw badInput('from must be a date', { argument: 'from' });
  if (!(to instanceof Date) || Number.isNaN(to.getTime()))
    throw badInput('to must be a date', { argument: 'to' });
  if (from.getTime() >= to.getTime())
    throw badInput('The period is empty or inverted: from must be before to', {
      argument: 'to',
    });
  if (!input.handles?.length) throw badInput('At least one handle', { argument: 'handles' });
  if (input.handles.length > MAX_DERBY_HANDLES)
    throw badInput(`At most ${MAX_DERBY_HANDLES} handles`, { argument: 'handles' });
  const seen = new Set<string>();
  const handles: string[] = [];
  for (const raw of input.handles) {
    const handle = normalizeHandle(raw);
    if (!handle) throw badInput(`Not an X handle: ${raw}`, { argument: 'handles' });
    if (seen.has(handle.toLowerCase())) continue;
    seen.add(handle.toLowerCase());
    handles.push(handle);
  }
  return { handles, from, to };
}

/** The best value wins; a tie goes to the handle that sorts first; nobody wins with 0. */
function award(
  trophy: Trophy,
  standings: DerbyStanding[],
  value: (s: DerbyStanding) => number,
  withPost = false,
): DerbyAward | undefined {
  let best: DerbyStanding | undefined;
  for (const s of standings) {
    const v = value(s);
    if (v <= 0) continue;
    if (
      !best ||
      v > value(best) ||
      (v === value(best) && s.handle.toLowerCase() < best.handle.toLowerCase())
    )
      best = s;
  }
  if (!best) return undefined;
  return { trophy, handle: best.handle, value: value(best), post: withPost ? best.bestPost : null };
}
