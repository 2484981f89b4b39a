import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  DestinationEvents,
  type DestinationCreatedEvent,
} from '../destinations/destination.events.js';
import { TAXONOMY, type SeedInterest } from './taxonomy.js';

/**
 * Gives every new destination the seeded tourism taxonomy (taxonomy.ts). Idempotent: it inserts
 * the slugs the destination does not have and never touches the ones it has, so the office's
 * edits survive a re-seed. Destinations created before this existed are not seeded.
 */
@Injectable()
export class TaxonomySeeder {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Awaited by the creation (emitAsync): a destination is never left without its taxonomy. */
  @OnEvent(DestinationEvents.CREATED, { async: true, promisify: true, suppressErrors: false })
  async onDestinationCreated(event: DestinationCreatedEvent): Promise<void> {
    await this.seed(event.destinationId);
  }

  /** Inserts the missing seeded interests; returns the slugs inserted. One statement. */
  async seed(
    destinationId: string,
    manager?: EntityManager,
    taxonomy: readonly SeedInterest[] = TAXONOMY,
  ): Promise<string[]> {
    const rows: { slug: string }[] = await (manager ?? this.dataSource.manager).query(
      `INSERT INTO interests (destination_id, slug, labels, keywords, hashtags)
       SELECT $1, t.slug, t.labels,
              ARRAY(SELECT k FROM jsonb_array_elements_text(t.keywords) WITH ORDINALITY AS x(k, n) ORDER BY n),
              ARRAY(SELECT h FROM jsonb_array_elements_text(t.hashtags) WITH ORDINALITY AS x(h, n) ORDER BY n)
         FROM jsonb_to_recordset($2::jsonb) AS t(slug text, labels jsonb, keywords jsonb, hashtags jsonb)
        WHERE true
       ON CONFLICT (destination_id, slug) DO NOTHING
       RETURNING slug`,
      [destinationId, JSON.stringify(taxonomy)],
    );
    return rows.map((r) => r.slug);
  }
}
