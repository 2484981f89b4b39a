import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { canonicalLocale } from '../../common/validation.js';
import type { RenderContext } from './rendering/template-renderer.js';

export const TOP_INTERESTS = 3;
export const RECOMMENDED_PLACES = 5;
const MIN_SCORE = 0.2;
const DAY_MS = 86_400_000;

/** One visitor as the send path and the preview need them. */
export interface MessageVisitor {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  locale: string | null;
  time_zone: string | null;
  erased_at: Date | null;
  handle: string | null;
  twitter_id: string | null;
}

export interface MessageDestination {
  id: string;
  name: string;
  time_zone: string;
  default_locale: string;
}

/** The label in `locale`, else its language, else the destination's default locale, else the slug. */
export function labelIn(
  labels: Record<string, string>,
  slug: string,
  locale: string | null,
  fallback: string,
): string {
  const wanted = locale ? canonicalLocale(locale) : undefined;
  for (const l of [wanted, wanted?.split('-')[0], fallback, fallback.split('-')[0]]) {
    if (l && labels[l]) return labels[l];
  }
  return Object.values(labels)[0] ?? slug;
}

/**
 * Reads what a template may print (RenderContext) for one visitor: names, locale, top interests
 * labelled in the visitor's locale, the stay and its place, places recommended for those
 * interests. Few small queries; the same for the worker and for `previewMessage`.
 */
@Injectable()
export class MessageContextBuilder {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async visitor(destinationId: string, visitorId: string): Promise<MessageVisitor | null> {
    const [row]: MessageVisitor[] = await this.dataSource.query(
      `SELECT v.id, v.first_name, v.last_name, v.email, v.locale, v.time_zone, v.erased_at,
              (SELECT i.handle FROM social_identities i WHERE i.visitor_id = v.id
                 AND i.handle IS NOT NULL ORDER BY i.created_at LIMIT 1) AS handle,
              (SELECT i.external_id FROM social_identities i WHERE i.visitor_id = v.id
                 AND i.provider = 'TWITTER' AND i.external_id IS NOT NULL
               ORDER BY i.created_at LIMIT 1) AS twitter_id
         FROM visitors v WHERE v.id = $1 AND v.destination_id = $2`,
      [visitorId, destinationId],
    );
    return row ?? null;
  }

  async destination(destinationId: string): Promise<MessageDestination> {
    const [row]: MessageDestination[] = await this.dataSource.query(
      'SELECT id, name, time_zone, default_locale FROM destinations WHERE id = $1',
      [destinationId],
    );
    return row;
  }

  async build(
    destination: MessageDestination,
    visitor: MessageVisitor,
    stayId: string | null,
    unsubscribeUrl: string,
  ): Promise<RenderContext> {
    const [interests, stay] = await Promise.all([
      this.dataSource.query(
        `SELECT i.id, i.slug, i.labels FROM visitor_interests vi
           JOIN interests i ON i.id = vi.interest_id
          WHERE vi.visitor_id = $1 AND vi.score >= $2
          ORDER BY vi.score DESC, i.slug LIMIT $3`,
        [visitor.id, MIN_SCORE, TOP_INTERESTS],
      ) as Promise<{ id: string; slug: string; labels: Record<string, string> }[]>,
      stayId
        ? (this.dataSource.query(
            `SELECT s.arrival_at, s.departure_at, p.name AS place_name
               FROM stays s LEFT JOIN places p ON p.id = s.place_id WHERE s.id = $1`,
            [stayId],
          ) as Promise<{ arrival_at: Date; departure_at: Date; place_name: string | null }[]>)
        : Promise.resolve([]),
    ]);
    const places: { name: string; twitter_handle: string | null; slugs: string[] }[] =
      interests.length
        ? await this.dataSource.query(
            `SELECT p.name, p.twitter_handle,
                    array_agg(i.slug ORDER BY i.slug) AS slugs
               FROM place_interests pi
               JOIN places p ON p.id = pi.place_id
               JOIN interests i ON i.id = pi.interest_id
              WHERE pi.interest_id = ANY($1::uuid[])
              GROUP BY p.id, p.name, p.twitter_handle
              ORDER BY count(*) DESC, p.name LIMIT $2`,
            [interests.map((i) => i.id), RECOMMENDED_PLACES],
          )
        : [];
    const names = [visitor.first_name, visitor.last_name].filter(Boolean).join(' ');
    const s = stay[0];
    return {
      visitor: {
        firstName: visitor.first_name,
        lastName: visitor.last_name,
        displayName: names || (visitor.handle ? `@${visitor.handle}` : null),
        locale: visitor.locale,
        topInterests: interests.map((i) => ({
          slug: i.slug,
          label: labelIn(i.labels ?? {}, i.slug, visitor.locale, destination.default_locale),
        })),
      },
      stay: s
        ? {
            arrivalAt: new Date(s.arrival_at),
            departureAt: new Date(s.departure_at),
            nights: Math.max(
              0,
              Math.round(
                (new Date(s.departure_at).getTime() - new Date(s.arrival_at).getTime()) / DAY_MS,
              ),
            ),
            place: s.place_name ? { name: s.place_name } : null,
          }
        : null,
      destination: { name: destination.name },
      places: places.map((p) => ({ name: p.name, handle: p.twitter_handle, interests: p.slugs })),
      unsubscribeUrl,
    };
  }
}
