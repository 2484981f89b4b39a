import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { notFound } from '../../common/errors/app-error.js';
import { assertId } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { ConsentEntity } from './consent.entity.js';
import { SocialIdentityEntity } from './social-identity.entity.js';
import { SuppressionService } from './suppression.service.js';
import { actorOf } from './visitor-merge.service.js';
import { VisitorRecordEntity, VisitorRecordKind } from './visitor-record.entity.js';
import { VisitorEntity } from './visitor.entity.js';
import {
  VisitorEvents,
  type VisitorErasingEvent,
  type VisitorExportingEvent,
} from './visitor.events.js';
import { VisitorsService } from './visitors.service.js';

export const EXPORT_FORMAT = 'escale.visitor-export/1';

/**
 * What an erasure leaves of a profile. Names, contact details, locale, time zone and tags (free
 * text, may name the person) go; the country stays, a documented anonymous aggregate, with the
 * row itself (its stays and interest scores keep counting in aggregates per interest, country,
 * phase).
 */
export function erasedProfile(at: Date) {
  return {
    firstName: null,
    lastName: null,
    email: null,
    phone: null,
    locale: null,
    timeZone: null,
    tags: [] as string[],
    erasedAt: at,
  } satisfies Partial<VisitorEntity>;
}

/** The core sections of an export; listeners' sections never replace them. */
export function assembleExport(
  core: Record<string, unknown>,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  // A JSON round trip: dates become ISO strings, undefined goes, what is returned is what is sent.
  return JSON.parse(JSON.stringify({ ...extra, ...core })) as Record<string, unknown>;
}

/**
 * GDPR rights of access and erasure (`exportVisitorData`, `eraseVisitor`).
 *
 * Export: everything this module holds on one person, read in one snapshot (profile, identities,
 * consent history, interest evidence and scores, merge/erasure records), plus the sections that
 * other modules add in a `visitor.exporting` listener (stays, interactions, messages, ambassador
 * history). A listener's section never replaces a core one.
 *
 * Erasure, in one transaction: the e-mail and the social accounts go to the suppression list
 * (salted hashes; ingestion skips the posts of a suppressed account), other
 * modules unlink and blank their rows in a `visitor.erasing` listener (the stays lose the partner's
 * booking reference, interactions are unlinked and their text blanked, pending messages are
 * cancelled), identities and consents are deleted, the profile is blanked (see erasedProfile) and
 * marked erased, and an ERASURE record (ids and actor only) is written. Consents are deleted rather than kept: they were the proof of a
 * permission that no longer matters, and with no consent record the person can never be
 * messaged, even by a code path that forgot `erased_at`; the erasure record and the suppression
 * are the proof now. The erased row is never shown again: `visitor(id)` answers NOT_FOUND.
 */
@Injectable()
export class VisitorPrivacyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly visitors: VisitorsService,
    private readonly suppressions: SuppressionService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
  ) {}

  // ----------------------------------------------------------------- export

  async export(auth: AuthContext, id: string): Promise<Record<string, unknown>> {
    const visitorId = assertId(id).toLowerCase();
    const core = await this.dataSource.transaction('REPEATABLE READ', (manager) =>
      this.coreSections(manager, auth, visitorId),
    );
    const event: VisitorExportingEvent = {
      destinationId: auth.destinationId,
      visitorId,
      sections: {},
    };
    await this.events.emitAsync(VisitorEvents.EXPORTING, event);
    return assembleExport(core, event.sections);
  }

  private async coreSections(manager: EntityManager, auth: AuthContext, visitorId: string) {
    const destinationId = auth.destinationId;
    const visitor = await this.visitors.get(auth, visitorId, manager);
    const [destination] = (await manager.query('SELECT id, name FROM destinations WHERE id = $1', [
      destinationId,
    ])) as { id: string; name: string }[];
    const identities = await manager.getRepository(SocialIdentityEntity).find({
      where: { destinationId, visitorId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    const consents = await manager.getRepository(ConsentEntity).find({
      where: { destinationId, visitorId },
      order: { recordedAt: 'ASC', id: 'ASC' },
    });
    const scores: unknown[] = await manager.query(
      `SELECT i.slug AS "interest", vi.score, vi.evidence_count AS "evidenceCount",
              vi.last_evidence_at AS "lastEvidenceAt", vi.sources, vi.computed_at AS "computedAt"
       FROM visitor_interests vi JOIN interests i ON i.id = vi.interest_id
       WHERE vi.visitor_id = $1 AND vi.destination_id = $2
       ORDER BY vi.score DESC, i.slug`,
      [visitorId, destinationId],
    );
    const evidence: unknown[] = await manager.query(
      `SELECT i.slug AS "interest", e.kind, e.weight, e.source_id AS "sourceId",
              e.occurred_at AS "occurredAt"
       FROM interest_evidence e JOIN interests i ON i.id = e.interest_id
       WHERE e.visitor_id = $1 AND e.destination_id = $2
       ORDER BY e.occurred_at, i.slug, e.kind`,
      [visitorId, destinationId],
    );
    const records = await manager
      .getRepository(VisitorRecordEntity)
      .createQueryBuilder('r')
      .where('r.destination_id = :d AND (r.visitor_id = :id OR r.other_visitor_id = :id)', {
        d: destinationId,
        id: visitorId,
      })
      .orderBy('r.at', 'ASC')
      .getMany();

    return {
      format: EXPORT_FORMAT,
      exportedAt: this.clock.now(),
      controller: { destinationId: destination.id, name: destination.name },
      profile: {
        id: visitor.id,
        firstName: visitor.firstName,
        lastName: visitor.lastName,
        email: visitor.email,
        phone: visitor.phone,
        locale: visitor.locale,
        countryCode: visitor.countryCode,
        timeZone: visitor.timeZone,
        tags: visitor.tags,
        createdAt: visitor.createdAt,
        updatedAt: visitor.updatedAt,
      },
      identities: identities.map((i) => ({
        provider: i.provider,
        handle: i.handle,
        externalId: i.externalId,
        followersCount: i.followersCount,
        followingCount: i.followingCount,
        postCount: i.postCount,
        lastSyncedAt: i.lastSyncedAt,
        linkedAt: i.createdAt,
      })),
      consents: consents.map((c) => ({
        channel: c.channel,
        purpose: c.purpose,
        granted: c.granted,
        source: c.source,
        recordedAt: c.recordedAt,
      })),
      interests: { scores, evidence },
      // Ids of the merged profiles (not who did it: staff ids are not the person's data).
      records: records.map((r) => ({
        kind: r.kind,
        visitorId: r.visitorId,
        otherVisitorId: r.otherVisitorId,
        at: r.at,
      })),
    };
  }

  // ------------------------------------------------------------------ erase

  async erase(auth: AuthContext, id: string): Promise<boolean> {
    const visitorId = assertId(id).toLowerCase();
    await this.dataSource.transaction((manager) => this.eraseIn(manager, auth, visitorId));
    return true;
  }

  private async eraseIn(manager: EntityManager, auth: AuthContext, visitorId: string) {
    const destinationId = auth.destinationId;
    const locked: unknown[] = await manager.query(
      'SELECT id FROM visitors WHERE id = $1 AND destination_id = $2 FOR UPDATE',
      [visitorId, destinationId],
    );
    if (!locked.length) throw notFound('Visitor', visitorId);
    // NOT_FOUND when already erased: erasing twice is not a silent success.
    const visitor = await this.visitors.get(auth, visitorId, manager);

    if (visitor.email) {
      await this.suppressions.suppress(destinationId, visitor.email, 'erasure', manager);
    }
    // Listeners first: they may still need the identities to find their rows.
    const event: VisitorErasingEvent = { manager, destinationId, visitorId };
    await this.events.emitAsync(VisitorEvents.ERASING, event);

    // The person's accounts are suppressed before they go, so that ingestion never makes them a
    // prospect again when they post (a salted hash: the list names no account).
    const identities: { provider: string; external_id: string | null; handle: string | null }[] =
      await manager.query(
        `SELECT provider, external_id, handle FROM social_identities
          WHERE destination_id = $1 AND visitor_id = $2`,
        [destinationId, visitorId],
      );
    if (identities.length) {
      await this.suppressions.suppressIdentities(
        destinationId,
        identities.map((i) => ({
          provider: i.provider,
          externalId: i.external_id,
          handle: i.handle,
        })),
        'erasure',
        manager,
      );
    }
    await manager.getRepository(SocialIdentityEntity).delete({ destinationId, visitorId });
    await manager.getRepository(ConsentEntity).delete({ destinationId, visitorId });
    await manager
      .getRepository(VisitorEntity)
      .update({ id: visitorId, destinationId }, erasedProfile(this.clock.now()));
    await manager.getRepository(VisitorRecordEntity).insert({
      destinationId,
      kind: VisitorRecordKind.ERASURE,
      visitorId,
      otherVisitorId: null,
      actor: actorOf(auth),
    });
  }
}
