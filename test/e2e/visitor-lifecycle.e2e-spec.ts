import { createHash } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { conflict } from '../../src/common/errors/app-error.js';
import { Role } from '../../src/modules/access/user.entity.js';
import { SuppressionService } from '../../src/modules/visitors/suppression.service.js';
import {
  VisitorEvents,
  type VisitorErasingEvent,
  type VisitorExportingEvent,
  type VisitorMergingEvent,
} from '../../src/modules/visitors/visitor.events.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

/**
 * Stands for the modules that join merges, erasures and exports through the visitor events
 * (interactions, messages, ambassadors): it records what it saw, and refuses on demand.
 */
const probe = {
  failFor: new Set<string>(),
  mergingInTransaction: [] as boolean[],
  erasingInTransaction: [] as boolean[],
};

@Injectable()
class ProbeListener {
  @OnEvent(VisitorEvents.MERGING, { suppressErrors: false })
  async merging(event: VisitorMergingEvent) {
    probe.mergingInTransaction.push(event.manager.queryRunner?.isTransactionActive === true);
    if (probe.failFor.has(event.keepId)) throw conflict('probe: merging refused');
  }

  @OnEvent(VisitorEvents.ERASING, { suppressErrors: false })
  async erasing(event: VisitorErasingEvent) {
    probe.erasingInTransaction.push(event.manager.queryRunner?.isTransactionActive === true);
    if (probe.failFor.has(event.visitorId)) throw conflict('probe: erasing refused');
  }

  @OnEvent(VisitorEvents.EXPORTING, { suppressErrors: false })
  async exporting(event: VisitorExportingEvent) {
    event.sections.probe = { visitorId: event.visitorId };
    event.sections.profile = 'a listener cannot replace a core section';
  }
}

@Module({ providers: [ProbeListener] })
class ProbeModule {}

type Seeded = Awaited<ReturnType<typeof seedDestination>>;

const CREATE = `mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { id } }`;
const MERGE = `mutation($keep: ID!, $merge: ID!) {
  mergeVisitors(keepId: $keep, mergeId: $merge) {
    id firstName lastName email phone locale countryCode timeZone tags
    identities { provider handle }
    consents { channel purpose granted source }
  }
}`;
const EXPORT = 'query($id: ID!) { exportVisitorData(id: $id) }';
const ERASE = 'mutation($id: ID!) { eraseVisitor(id: $id) }';
const VISITOR = 'query($id: ID!) { visitor(id: $id) { id email } }';

describe('visitor merge, GDPR export and erasure (e2e)', () => {
  let app: TestApp;
  let db: DataSource;
  let a: Seeded;
  let b: Seeded;
  let marketer: Record<string, string>;
  let analyst: Record<string, string>;
  let seq = 0;

  beforeAll(async () => {
    app = await startTestApp({ imports: [ProbeModule] });
    db = app.runtime.app.get(DataSource);
    a = await seedDestination(app, 'Quimper');
    b = await seedDestination(app, 'Vannes');
    marketer = await a.as(Role.MARKETER);
    analyst = await a.as(Role.ANALYST);
    for (const slug of ['wine-tasting', 'surfing']) {
      const res = await app.gql(
        'mutation($slug: String!) { upsertInterest(slug: $slug, labels: {en: "x"}) { id } }',
        { slug },
        a.admin,
      );
      expect(res.errors).toBeUndefined();
    }
  });
  afterAll(() => app?.stop());

  async function createVisitor(
    input: Record<string, unknown>,
    headers: Record<string, string> = a.admin,
  ): Promise<string> {
    const res = await app.gql<{ createVisitor: { id: string } }>(CREATE, { input }, headers);
    expect(res.errors).toBeUndefined();
    return res.data.createVisitor.id;
  }

  async function addStay(destinationId: string, visitorId: string, days = 10) {
    const arrival = new Date(Date.now() + days * 86_400_000);
    const departure = new Date(arrival.getTime() + 3 * 86_400_000);
    const [row] = (await db.query(
      `INSERT INTO stays (destination_id, visitor_id, arrival_at, departure_at, source, external_ref, party_size)
       VALUES ($1, $2, $3, $4, 'hotel-lecoq', $5, 2) RETURNING id`,
      [destinationId, visitorId, arrival, departure, `BK-${++seq}`],
    )) as { id: string }[];
    return row.id;
  }

  const code = (res: { errors?: { extensions: Record<string, unknown> }[] }) =>
    res.errors?.[0].extensions.code;

  describe('mergeVisitors', () => {
    it('moves identities, consents, stays, interest evidence and tags, fills empty fields, deletes the merged visitor and records the merge', async () => {
      const keepId = await createVisitor({
        firstName: 'Anne',
        countryCode: 'FR',
        tags: ['vip'],
        identities: [{ provider: 'TWITTER', handle: 'anne_keep' }],
        consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: false, source: 'form' }],
        declaredInterests: ['surfing'],
      });
      const mergeId = await createVisitor({
        firstName: 'Annie',
        lastName: 'Le Goff',
        email: 'anne.legoff@example.org',
        phone: '+33 6 12 34 56 78',
        locale: 'fr-FR',
        timeZone: 'Europe/Paris',
        tags: ['golf', 'vip'],
        identities: [{ provider: 'INSTAGRAM', handle: 'anne.ig' }],
        consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'import' }],
        declaredInterests: ['wine-tasting', 'surfing'],
      });
      const stayOfKeep = await addStay(a.destination.id, keepId, 5);
      const stayOfMerge = await addStay(a.destination.id, mergeId, 40);

      const res = await app.gql(MERGE, { keep: keepId, merge: mergeId }, marketer);
      expect(res.errors).toBeUndefined();
      const kept = res.data.mergeVisitors;
      expect(kept).toMatchObject({
        id: keepId,
        firstName: 'Anne', // kept: not empty
        lastName: 'Le Goff',
        email: 'anne.legoff@example.org',
        phone: '+33 6 12 34 56 78',
        locale: 'fr-FR',
        countryCode: 'FR',
        timeZone: 'Europe/Paris',
      });
      expect(kept.tags.sort()).toEqual(['golf', 'vip']);
      expect(kept.identities.map((i: { handle: string }) => i.handle).sort()).toEqual([
        'anne.ig',
        'anne_keep',
      ]);
      // Both consent histories, the newest (the merged visitor's grant) first.
      expect(kept.consents).toEqual([
        { channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'import' },
        { channel: 'EMAIL', purpose: 'MARKETING', granted: false, source: 'form' },
      ]);

      const stays: { id: string; visitor_id: string }[] = await db.query(
        'SELECT id, visitor_id FROM stays WHERE id = ANY($1) ORDER BY arrival_at',
        [[stayOfKeep, stayOfMerge]],
      );
      expect(stays).toEqual([
        { id: stayOfKeep, visitor_id: keepId },
        { id: stayOfMerge, visitor_id: keepId },
      ]);
      const evidence: { slug: string }[] = await db.query(
        `SELECT i.slug FROM interest_evidence e JOIN interests i ON i.id = e.interest_id
         WHERE e.visitor_id = $1 ORDER BY i.slug`,
        [keepId],
      );
      expect([...new Set(evidence.map((e) => e.slug))]).toEqual(['surfing', 'wine-tasting']);
      const scores: { slug: string }[] = await db.query(
        `SELECT i.slug FROM visitor_interests vi JOIN interests i ON i.id = vi.interest_id
         WHERE vi.visitor_id = $1 ORDER BY i.slug`,
        [keepId],
      );
      expect(scores.map((s) => s.slug)).toEqual(['surfing', 'wine-tasting']);

      const leftovers: { n: number }[] = await db.query(
        `SELECT (SELECT count(*) FROM visitors WHERE id = $1)
              + (SELECT count(*) FROM social_identities WHERE visitor_id = $1)
              + (SELECT count(*) FROM consents WHERE visitor_id = $1)
              + (SELECT count(*) FROM stays WHERE visitor_id = $1)
              + (SELECT count(*) FROM interest_evidence WHERE visitor_id = $1)
              + (SELECT count(*) FROM visitor_interests WHERE visitor_id = $1) AS n`,
        [mergeId],
      );
      expect(Number(leftovers[0].n)).toBe(0);
      expect(code(await app.gql(VISITOR, { id: mergeId }, a.admin))).toBe('NOT_FOUND');

      const records = await db.query(
        `SELECT kind, visitor_id, other_visitor_id, actor FROM visitor_records
         WHERE destination_id = $1 AND kind = 'MERGE'`,
        [a.destination.id],
      );
      expect(records).toEqual([
        {
          kind: 'MERGE',
          visitor_id: keepId,
          other_visitor_id: mergeId,
          actor: expect.stringMatching(/^user:[0-9a-f-]{36}$/),
        },
      ]);
    });

    it('refuses to merge a visitor into itself with BAD_USER_INPUT', async () => {
      const id = await createVisitor({ firstName: 'Solo' });
      const res = await app.gql(MERGE, { keep: id, merge: id }, a.admin);
      expect(code(res)).toBe('BAD_USER_INPUT');
      expect((await app.gql(VISITOR, { id }, a.admin)).data.visitor.id).toBe(id);
    });

    it("answers NOT_FOUND for another destination's visitor and changes nothing", async () => {
      const mine = await createVisitor({ firstName: 'Mine', tags: ['a'] });
      const theirs = await createVisitor({ firstName: 'Theirs', lastName: 'Other' }, b.admin);
      for (const [keep, merge] of [
        [mine, theirs],
        [theirs, mine],
      ]) {
        expect(code(await app.gql(MERGE, { keep, merge }, a.admin))).toBe('NOT_FOUND');
      }
      expect((await app.gql(VISITOR, { id: theirs }, b.admin)).data.visitor.id).toBe(theirs);
      const [row] = await db.query('SELECT last_name FROM visitors WHERE id = $1', [mine]);
      expect(row.last_name).toBeNull();
    });

    it('is FORBIDDEN to analysts', async () => {
      const one = await createVisitor({ firstName: 'One' });
      const two = await createVisitor({ firstName: 'Two' });
      expect(code(await app.gql(MERGE, { keep: one, merge: two }, analyst))).toBe('FORBIDDEN');
      expect((await app.gql(VISITOR, { id: two }, a.admin)).data.visitor.id).toBe(two);
    });

    it('runs the listeners inside its transaction: one that refuses rolls the whole merge back', async () => {
      expect(probe.mergingInTransaction.length).toBeGreaterThan(0);
      expect(probe.mergingInTransaction.every(Boolean)).toBe(true);
      const keepId = await createVisitor({ firstName: 'Rollback' });
      const mergeId = await createVisitor({
        email: 'rollback@example.org',
        tags: ['x'],
        identities: [{ provider: 'TWITTER', handle: 'rollback_me' }],
        consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'form' }],
        declaredInterests: ['surfing'],
      });
      const stayId = await addStay(a.destination.id, mergeId);
      probe.failFor.add(keepId);
      const res = await app.gql(MERGE, { keep: keepId, merge: mergeId }, a.admin);
      expect(code(res)).toBe('CONFLICT');
      const [owners] = await db.query(
        `SELECT (SELECT visitor_id FROM social_identities WHERE handle = 'rollback_me') AS identity,
                (SELECT visitor_id FROM stays WHERE id = $1) AS stay,
                (SELECT count(*)::int FROM consents WHERE visitor_id = $2) AS consents,
                (SELECT count(*)::int FROM interest_evidence WHERE visitor_id = $2) AS evidence,
                (SELECT email FROM visitors WHERE id = $2) AS email,
                (SELECT email FROM visitors WHERE id = $3) AS kept_email,
                (SELECT count(*)::int FROM visitor_records WHERE visitor_id = $3) AS records`,
        [stayId, mergeId, keepId],
      );
      expect(owners).toEqual({
        identity: mergeId,
        stay: mergeId,
        consents: 1,
        evidence: 1,
        email: 'rollback@example.org',
        kept_email: null,
        records: 0,
      });
    });
  });

  describe('exportVisitorData', () => {
    it('returns every section held on the person', async () => {
      const id = await createVisitor({
        firstName: 'Yann',
        lastName: 'Kervella',
        email: 'yann@example.org',
        countryCode: 'FR',
        tags: ['surfer'],
        identities: [{ provider: 'TWITTER', handle: 'yannk', externalId: '12345' }],
        consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'form' }],
        declaredInterests: ['surfing'],
      });
      const other = await createVisitor({ firstName: 'Yann (doublon)' });
      expect((await app.gql(MERGE, { keep: id, merge: other }, a.admin)).errors).toBeUndefined();
      await addStay(a.destination.id, id);

      const res = await app.gql(EXPORT, { id }, marketer);
      expect(res.errors).toBeUndefined();
      const data = res.data.exportVisitorData;
      expect(data).toMatchObject({
        format: 'escale.visitor-export/1',
        exportedAt: expect.any(String),
        controller: { destinationId: a.destination.id, name: 'Quimper' },
        profile: {
          id,
          firstName: 'Yann',
          lastName: 'Kervella',
          email: 'yann@example.org',
          countryCode: 'FR',
          tags: ['surfer'],
        },
        identities: [{ provider: 'TWITTER', handle: 'yannk', externalId: '12345' }],
        consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'form' }],
        stays: [
          {
            status: 'BOOKED',
            source: 'hotel-lecoq',
            externalRef: expect.stringMatching(/^BK-/),
            partySize: 2,
          },
        ],
        interests: {
          scores: [{ interest: 'surfing', sources: ['DECLARED'] }],
          evidence: [{ interest: 'surfing', kind: 'DECLARED' }],
        },
        records: [{ kind: 'MERGE', visitorId: id, otherVisitorId: other }],
        probe: { visitorId: id },
      });
      expect(JSON.stringify(data.records)).not.toContain('user:');
    });

    it('is FORBIDDEN to analysts and NOT_FOUND across destinations', async () => {
      const id = await createVisitor({ email: 'private@example.org' });
      const refused = await app.gql(EXPORT, { id }, analyst);
      expect(code(refused)).toBe('FORBIDDEN');
      expect(JSON.stringify(refused)).not.toContain('private@example.org');
      expect(code(await app.gql(EXPORT, { id }, b.admin))).toBe('NOT_FOUND');
    });
  });

  describe('eraseVisitor', () => {
    it('removes PII and identities, keeps aggregates, suppresses the e-mail as a salted hash', async () => {
      const email = 'marie.erased@example.org';
      const id = await createVisitor({
        firstName: 'Marie',
        lastName: 'Erased',
        email: 'Marie.Erased@Example.org',
        phone: '+33 6 00 00 00 01',
        locale: 'fr-FR',
        countryCode: 'FR',
        timeZone: 'Europe/Paris',
        tags: ['marie-vip'],
        identities: [{ provider: 'TWITTER', handle: 'marie_e', externalId: '999' }],
        consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'form' }],
        declaredInterests: ['wine-tasting'],
      });
      const stayId = await addStay(a.destination.id, id);

      expect(code(await app.gql(ERASE, { id }, marketer))).toBe('FORBIDDEN');
      const res = await app.gql(ERASE, { id }, a.admin);
      expect(res.errors).toBeUndefined();
      expect(res.data.eraseVisitor).toBe(true);

      const [row] = await db.query('SELECT * FROM visitors WHERE id = $1', [id]);
      expect(row).toMatchObject({
        first_name: null,
        last_name: null,
        email: null,
        phone: null,
        locale: null,
        time_zone: null,
        tags: [],
        country_code: 'FR',
        erased_at: expect.any(Date),
      });
      expect(JSON.stringify(row).toLowerCase()).not.toMatch(/marie|erased@|\+33/);
      const counts = async (table: string) =>
        Number(
          (await db.query(`SELECT count(*) AS n FROM ${table} WHERE visitor_id = $1`, [id]))[0].n,
        );
      expect(await counts('social_identities')).toBe(0);
      expect(
        Number(
          (
            await db.query(
              `SELECT count(*) AS n FROM social_identities WHERE destination_id = $1 AND (handle = 'marie_e' OR external_id = '999')`,
              [a.destination.id],
            )
          )[0].n,
        ),
      ).toBe(0);
      expect(await counts('consents')).toBe(0);
      // Anonymous aggregates stay: the stay (without the partner's reference) and the scores.
      expect(await counts('visitor_interests')).toBe(1);
      const [stay] = await db.query('SELECT visitor_id, external_ref FROM stays WHERE id = $1', [
        stayId,
      ]);
      expect(stay).toEqual({ visitor_id: id, external_ref: null });

      const suppressions: { address_hash: string; reason: string }[] = await db.query(
        'SELECT address_hash, reason FROM suppressions WHERE destination_id = $1',
        [a.destination.id],
      );
      // The e-mail, the X account (so that ingestion never makes a prospect of it again) and its
      // handle (so that no import brings it back by handle).
      expect(suppressions).toHaveLength(3);
      for (const suppressed of suppressions) {
        expect(suppressed.reason).toBe('erasure');
        // A keyed hash: neither the address nor the X account id in clear, nor their plain
        // SHA-256 (a random hex string may well contain "999", so that is not asserted on).
        expect(suppressed.address_hash).toMatch(/^[0-9a-f]{64}$/);
        for (const clear of [email, '999', 'twitter:999', 'marie_e'])
          expect(suppressed.address_hash).not.toBe(
            createHash('sha256').update(clear).digest('hex'),
          );
      }
      // The hash is of the normalised address: the import and messaging checks find it.
      const suppression = app.runtime.app.get(SuppressionService);
      expect(await suppression.isSuppressed(a.destination.id, email)).toBe(true);
      expect(await suppression.isSuppressed(a.destination.id, 'MARIE.ERASED@example.org')).toBe(
        true,
      );
      expect(await suppression.isSuppressed(b.destination.id, email)).toBe(false);

      const [record] = await db.query(
        `SELECT kind, other_visitor_id, actor FROM visitor_records WHERE visitor_id = $1 AND kind = 'ERASURE'`,
        [id],
      );
      expect(record).toEqual({
        kind: 'ERASURE',
        other_visitor_id: null,
        actor: expect.stringMatching(/^user:/),
      });

      expect(code(await app.gql(VISITOR, { id }, a.admin))).toBe('NOT_FOUND');
      const listed = await app.gql(
        '{ visitors(first: 100) { edges { node { id } } } }',
        {},
        a.admin,
      );
      expect(listed.errors).toBeUndefined();
      expect(JSON.stringify(listed.data)).not.toContain(id);
      expect(code(await app.gql(EXPORT, { id }, a.admin))).toBe('NOT_FOUND');
      expect(code(await app.gql(MERGE, { keep: id, merge: id }, a.admin))).toBe('BAD_USER_INPUT');
      // Erasing twice is not a silent success.
      expect(code(await app.gql(ERASE, { id }, a.admin))).toBe('NOT_FOUND');
    });

    it('runs the listeners inside its transaction: one that refuses rolls the whole erasure back', async () => {
      expect(probe.erasingInTransaction.length).toBeGreaterThan(0);
      expect(probe.erasingInTransaction.every(Boolean)).toBe(true);
      const email = 'not.yet.erased@example.org';
      const id = await createVisitor({
        firstName: 'Not yet',
        email,
        identities: [{ provider: 'TWITTER', handle: 'not_yet_erased' }],
      });
      probe.failFor.add(id);
      expect(code(await app.gql(ERASE, { id }, a.admin))).toBe('CONFLICT');
      const [row] = await db.query(
        'SELECT email, first_name, erased_at FROM visitors WHERE id = $1',
        [id],
      );
      expect(row).toEqual({ email, first_name: 'Not yet', erased_at: null });
      const identities = await db.query('SELECT id FROM social_identities WHERE visitor_id = $1', [
        id,
      ]);
      expect(identities).toHaveLength(1);
      const suppressions = app.runtime.app.get(SuppressionService);
      expect(await suppressions.isSuppressed(a.destination.id, email)).toBe(false);
      expect((await app.gql(VISITOR, { id }, a.admin)).data.visitor.id).toBe(id);
    });

    it("answers NOT_FOUND for another destination's visitor and erases nothing", async () => {
      const theirs = await createVisitor(
        { firstName: 'Keep me', email: 'keep@example.org' },
        b.admin,
      );
      expect(code(await app.gql(ERASE, { id: theirs }, a.admin))).toBe('NOT_FOUND');
      const [row] = await db.query('SELECT email, erased_at FROM visitors WHERE id = $1', [theirs]);
      expect(row).toEqual({ email: 'keep@example.org', erased_at: null });
    });

    it('cannot merge an erased visitor', async () => {
      const erased = await createVisitor({ firstName: 'Gone' });
      const alive = await createVisitor({ firstName: 'Alive' });
      expect((await app.gql(ERASE, { id: erased }, a.admin)).data.eraseVisitor).toBe(true);
      expect(code(await app.gql(MERGE, { keep: alive, merge: erased }, a.admin))).toBe('NOT_FOUND');
      expect(code(await app.gql(MERGE, { keep: erased, merge: alive }, a.admin))).toBe('NOT_FOUND');
    });
  });
});
