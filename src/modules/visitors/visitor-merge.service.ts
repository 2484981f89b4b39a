import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { badInput, notFound } from '../../common/errors/app-error.js';
import { assertId } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { InterestsService } from '../interests/interests.service.js';
import { ConsentEntity } from './consent.entity.js';
import { SocialIdentityEntity } from './social-identity.entity.js';
import { VisitorRecordEntity, VisitorRecordKind } from './visitor-record.entity.js';
import { VisitorEntity } from './visitor.entity.js';
import { VisitorEvents, type VisitorMergingEvent } from './visitor.events.js';
import { VisitorsService } from './visitors.service.js';

/** The profile fields a merge fills on the kept visitor when they are empty there. */
export const MERGED_SCALARS = [
  'firstName',
  'lastName',
  'email',
  'phone',
  'locale',
  'countryCode',
  'timeZone',
] as const satisfies readonly (keyof VisitorEntity)[];

type MergeFields = Pick<VisitorEntity, (typeof MERGED_SCALARS)[number] | 'tags'>;

/**
 * What the kept visitor becomes: its own values where it has them, the merged visitor's where it
 * has none (null or blank), and the union of both tag lists (the kept one's order first). Returns
 * only what changes.
 */
export function mergedFields(keep: MergeFields, merge: MergeFields): Partial<MergeFields> {
  const changes: Partial<MergeFields> = {};
  for (const field of MERGED_SCALARS) {
    const own = keep[field];
    const other = merge[field];
    if ((own == null || own.trim() === '') && other != null && other.trim() !== '') {
      changes[field] = other;
    }
  }
  const tags = [...new Set([...(keep.tags ?? []), ...(merge.tags ?? [])])];
  if (tags.length !== (keep.tags ?? []).length) changes.tags = tags;
  return changes;
}

/** Who did it, for visitor records: "user:<id>" or "apiKey:<id>" (ids only, no e-mail). */
export function actorOf(auth: AuthContext): string {
  return auth.principal.kind === 'user'
    ? `user:${auth.principal.userId}`
    : `apiKey:${auth.principal.apiKeyId}`;
}

/**
 * Merges two profiles of one person (`mergeVisitors`). One transaction, both rows locked:
 * identities, consents (both histories, the newest record per channel and purpose answers),
 * stays and interest evidence (the interests module refreshes both visitors' scores) move to the
 * kept visitor; modules that keep their own rows about visitors (interactions, messages,
 * ambassador history) move them in a `visitor.merging` listener, inside the same transaction. Then the merged visitor is deleted, the empty fields of
 * the kept one filled, and a MERGE record written. All or nothing.
 */
@Injectable()
export class VisitorMergeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly visitors: VisitorsService,
    private readonly interests: InterestsService,
    private readonly events: EventEmitter2,
  ) {}

  async merge(auth: AuthContext, keepId: string, mergeId: string): Promise<VisitorEntity> {
    const keep = assertId(keepId, 'keepId').toLowerCase();
    const merge = assertId(mergeId, 'mergeId').toLowerCase();
    if (keep === merge) {
      throw badInput('A visitor cannot be merged into itself', { field: 'mergeId' });
    }
    await this.dataSource.transaction((manager) => this.mergeIn(manager, auth, keep, merge));
    await this.visitors.changed(auth, keep);
    return this.visitors.get(auth, keep);
  }

  private async mergeIn(
    manager: EntityManager,
    auth: AuthContext,
    keepId: string,
    mergeId: string,
  ): Promise<void> {
    const destinationId = auth.destinationId;
    // Lock both rows, in id order so that two crossed merges cannot deadlock; the reads that
    // follow see the rows as they are now. Another destination's ids lock nothing.
    const locked: { id: string }[] = await manager.query(
      `SELECT id FROM visitors WHERE id = ANY($1::uuid[]) AND destination_id = $2
       ORDER BY id FOR UPDATE`,
      [[keepId, mergeId], destinationId],
    );
    if (!locked.some((r) => r.id === keepId)) throw notFound('Visitor', keepId);
    if (!locked.some((r) => r.id === mergeId)) throw notFound('Visitor', mergeId);
    // Visibility (erased visitors are gone) is VisitorsService's rule.
    const kept = await this.visitors.get(auth, keepId, manager);
    const merged = await this.visitors.get(auth, mergeId, manager);

    const moved = { destinationId, visitorId: mergeId };
    await manager.getRepository(SocialIdentityEntity).update(moved, { visitorId: keepId });
    await manager.getRepository(ConsentEntity).update(moved, { visitorId: keepId });
    // The stays table belongs to the stays module, which sits above this one: plain SQL, no import.
    await manager.query(
      `UPDATE stays SET visitor_id = $1, updated_at = now()
       WHERE visitor_id = $2 AND destination_id = $3`,
      [keepId, mergeId, destinationId],
    );
    await this.interests.moveEvidence(manager, mergeId, keepId);

    const event: VisitorMergingEvent = { manager, destinationId, keepId, mergeId };
    await this.events.emitAsync(VisitorEvents.MERGING, event);

    // Delete first: the kept visitor may take over the merged one's e-mail (unique per destination).
    const repo = manager.getRepository(VisitorEntity);
    await repo.delete({ id: mergeId, destinationId });
    const changes = mergedFields(kept, merged);
    if (Object.keys(changes).length) await repo.update({ id: keepId, destinationId }, changes);

    await manager.getRepository(VisitorRecordEntity).insert({
      destinationId,
      kind: VisitorRecordKind.MERGE,
      visitorId: keepId,
      otherVisitorId: mergeId,
      actor: actorOf(auth),
    });
  }
}
