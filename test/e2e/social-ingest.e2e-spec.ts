import { jest } from '@jest/globals';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { Clock } from '../../src/common/clock/clock.js';
import { InterestsService } from '../../src/modules/interests/interests.service.js';
import { InteractionKind } from '../../src/modules/social/interaction.entity.js';
import { postFacts } from '../../src/modules/social/post-facts.js';
import { SocialIngestService } from '../../src/modules/social/social-ingest.service.js';
import type { NormalizedPost } from '../../src/modules/social/social.types.js';
import { SocialProvider } from '../../src/modules/visitors/social-identity.entity.js';
import {
  VisitorEvents,
  type VisitorChangedEvent,
} from '../../src/modules/visitors/visitor.events.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;

const INGEST = `mutation($items: [InteractionInput!]!) {
  ingestInteractions(items: $items) { received created updated linkedToVisitors rejected { line errors } }
}`;
const CREATE = `mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { id } }`;
const ERASE = 'mutation($id: ID!) { eraseVisitor(id: $id) }';
const AT = `query($since: DateTime!, $until: DateTime!) {
  interactions(filter: { since: $since, until: $until }, first: 5) {
    edges { node { externalId text visitor { id tags } } }
  }
}`;

const base = Date.UTC(2026, 9, 1, 12);
let seq = 0;
/** Every post has its own second: the interactions API finds one by its time. */
const timeOf = (externalId: string) => base + Number(externalId.slice(1)) * 1000;
/** An X post as the poller hands it to the pipeline (and as a partner sends it). */
function post(authorExternalId: string, authorHandle: string, text = 'Superbe journée à la plage') {
  seq++;
  return {
    provider: 'TWITTER',
    externalId: `t${seq}`,
    kind: 'POST',
    authorExternalId,
    authorHandle,
    authorFollowersCount: 120,
    text,
    occurredAt: new Date(base + seq * 1000).toISOString(),
  };
}

/**
 * The ingest pipeline and the visitors around it: an erased person never comes back as a
 * prospect, and prospects are announced like every other new visitor.
 */
describe('social ingest and visitors (e2e)', () => {
  let app: TestApp;
  let db: DataSource;
  let a: Seeded;
  let b: Seeded;

  beforeAll(async () => {
    app = await startTestApp();
    db = app.runtime.app.get(DataSource);
    a = await seedDestination(app, 'Lorient');
    b = await seedDestination(app, 'Brest');
  });
  afterAll(() => app?.stop());

  const ingest = async (items: Record<string, unknown>[], headers = a.admin) =>
    (await app.ok(INGEST, { items }, headers)).ingestInteractions as {
      received: number;
      created: number;
      updated: number;
      linkedToVisitors: number;
      rejected: unknown[];
    };
  const node = async (externalId: string, headers = a.admin) => {
    const t = timeOf(externalId);
    const { edges } = (
      await app.ok(
        AT,
        { since: new Date(t).toISOString(), until: new Date(t + 1000).toISOString() },
        headers,
      )
    ).interactions as {
      edges: {
        node: {
          externalId: string;
          text: string | null;
          visitor: { id: string; tags: string[] } | null;
        };
      }[];
    };
    expect(edges.length).toBeLessThanOrEqual(1);
    expect(edges[0]?.node.externalId ?? externalId).toBe(externalId);
    return edges[0]?.node;
  };
  const count = async (sql: string, params: unknown[]) =>
    Number(((await db.query(sql, params)) as { n: string }[])[0].n);
  const visitorsOf = (destinationId: string) =>
    count('SELECT count(*) AS n FROM visitors WHERE destination_id = $1', [destinationId]);

  it("a destination that goes takes its posts, their evidence and its accounts' history with it", async () => {
    // These rows have no key of their own to `destinations`: they go through their identity or
    // visitor, whose keys cascade.
    const c = await seedDestination(app, 'Quimper');
    const report = await ingest(
      [post('7001', 'quimper_fan', 'Superbe journée à la plage #crepes'), post('7002', 'odet')],
      c.admin,
    );
    expect(report.created).toBe(2);
    const rows = () =>
      Promise.all(
        ['interactions', 'interest_evidence', 'identity_metrics', 'social_identities'].map((t) =>
          count(`SELECT count(*) AS n FROM ${t} WHERE destination_id = $1`, [c.destination.id]),
        ),
      );
    expect((await rows()).every((n) => n > 0)).toBe(true);
    await db.query('DELETE FROM destinations WHERE id = $1', [c.destination.id]);
    expect(await rows()).toEqual([0, 0, 0, 0]);
  });

  it("keeps one reading of an account's numbers per instant: two at the same time, the later wins", async () => {
    const clock = app.runtime.app.get(Clock);
    const at = new Date(Date.UTC(2026, 9, 2, 8));
    const now = clock.now;
    clock.now = () => new Date(at);
    try {
      const first = { ...post('7101', 'same_instant'), authorFollowersCount: 100 };
      const second = { ...post('7101', 'same_instant'), authorFollowersCount: 150 };
      expect((await ingest([first])).created).toBe(1);
      expect((await ingest([second])).created).toBe(1);
    } finally {
      clock.now = now;
    }
    const readings: { followers_count: number; recorded_at: Date }[] = await db.query(
      `SELECT m.followers_count, m.recorded_at FROM identity_metrics m
         JOIN social_identities s ON s.id = m.identity_id
        WHERE s.destination_id = $1 AND s.external_id = '7101'`,
      [a.destination.id],
    );
    expect(readings).toEqual([{ followers_count: 150, recorded_at: at }]);
  });

  it('stores a page whose text was read ahead (postFacts, as a poll does) as one read in the transaction', async () => {
    const texts = [
      'Dégustation de crêpes au marché des Lices, un vrai bonheur #Gastronomie @lorient_port',
      'Rainy day, closed museum, terrible queue #art',
      'Concert génial ce soir #FestivalInterceltique https://example.org/#pas_un_hashtag',
      'Pas terrible cette exposition, vraiment pas génial',
      '',
    ];
    const page = (prefix: string, ahead: boolean): NormalizedPost[] =>
      texts.map((text, i) => ({
        provider: SocialProvider.TWITTER,
        externalId: `${prefix}${i}`,
        kind: InteractionKind.POST,
        authorExternalId: `${prefix}u${i}`,
        authorHandle: `${prefix}_author${i}`,
        text: text || undefined,
        occurredAt: new Date(base + 500_000 + i * 1000),
        ...(ahead ? { facts: postFacts(text) } : {}),
      }));
    const ingest = app.runtime.app.get(SocialIngestService);
    await ingest.ingest(a.destination.id, page('ahead', true), { source: 'x' });
    await ingest.ingest(a.destination.id, page('inside', false), { source: 'x' });
    const stored = async (prefix: string) => {
      const rows: Record<string, unknown>[] = await db.query(
        `SELECT substr(i.external_id, length($2) + 1) AS n, i.kind, i.hashtags, i.mentions,
                i.sentiment, i.wall_status,
                (SELECT array_agg(it.slug || ':' || e.kind ORDER BY it.slug, e.kind)
                   FROM interest_evidence e JOIN interests it ON it.id = e.interest_id
                  WHERE e.source_id = i.id::text) AS evidence
           FROM interactions i
          WHERE i.destination_id = $1 AND i.external_id LIKE $2 || '%'
          ORDER BY 1`,
        [a.destination.id, prefix],
      );
      return rows;
    };
    const inside = await stored('inside');
    expect(inside).toHaveLength(texts.length);
    expect(inside.some((r) => r.evidence !== null)).toBe(true);
    expect(inside.some((r) => r.sentiment !== null)).toBe(true);
    expect(await stored('ahead')).toEqual(inside);
  });

  /** Staged pages of destination b whose evidence is still owed (rows of evidence_backlog). */
  const owed = async () =>
    Number(
      (
        await db.query<{ n: string }[]>(
          'SELECT count(*) AS n FROM evidence_backlog WHERE destination_id = $1',
          [b.destination.id],
        )
      )[0].n,
    );

  it('derives what staged pages still owe, page by page: one that fails stays owed, the others do not wait', async () => {
    const ingest = app.runtime.app.get(SocialIngestService);
    const interests = app.runtime.app.get(InterestsService);
    const page = (prefix: string): NormalizedPost[] =>
      [0, 1, 2].map((i) => ({
        provider: SocialProvider.TWITTER,
        externalId: `${prefix}${i}`,
        kind: InteractionKind.POST,
        authorExternalId: `${prefix}u${i}`,
        authorHandle: `${prefix}_author${i}`,
        text: 'Dégustation de crêpes au marché, un vrai bonheur #Gastronomie',
        occurredAt: new Date(base + 900_000 + i * 1000),
      }));
    const evidence = async (prefix: string) =>
      Number(
        (
          await db.query<{ n: string }[]>(
            `SELECT count(*) AS n FROM interest_evidence e JOIN interactions i ON i.id::text = e.source_id
              WHERE i.destination_id = $1 AND i.external_id LIKE $2 || '%'`,
            [b.destination.id, prefix],
          )
        )[0].n,
      );

    // Two staged pages whose evidence fails after their interactions committed.
    const failing = jest.spyOn(interests, 'recordEvidence').mockRejectedValue(new Error('down'));
    try {
      for (const prefix of ['owedA', 'owedB']) {
        const { report, derived } = await ingest.ingestStaged(b.destination.id, page(prefix), {
          source: 'x',
        });
        expect(report.created).toBe(3);
        await expect(derived).rejects.toThrow('down');
      }
    } finally {
      failing.mockRestore();
    }
    expect(await owed()).toBe(2);
    expect(await evidence('owed')).toBe(0);

    // The older page fails again: it stays owed, and the newer one is derived all the same.
    const once = jest.spyOn(interests, 'recordEvidence').mockRejectedValueOnce(new Error('again'));
    try {
      await expect(ingest.deriveBacklog(b.destination.id)).rejects.toThrow('again');
    } finally {
      once.mockRestore();
    }
    expect(await owed()).toBe(1);
    expect(await evidence('owedA')).toBe(0);
    expect(await evidence('owedB')).toBeGreaterThan(0);

    expect(await ingest.deriveBacklog(b.destination.id)).toBe(3);
    expect(await owed()).toBe(0);
    expect(await evidence('owedA')).toBe(await evidence('owedB'));
  });

  it("derives what a partner's destination still owes before its next ingestInteractions", async () => {
    const ingest = app.runtime.app.get(SocialIngestService);
    const interests = app.runtime.app.get(InterestsService);
    const failing = jest
      .spyOn(interests, 'recordEvidence')
      .mockRejectedValueOnce(new Error('down'));
    try {
      const { derived } = await ingest.ingestStaged(
        b.destination.id,
        [
          {
            provider: SocialProvider.TWITTER,
            externalId: 'partnerOwed1',
            kind: InteractionKind.POST,
            authorExternalId: 'partnerOwedU1',
            authorHandle: 'partner_owed1',
            text: 'Dégustation de crêpes au marché, un vrai bonheur #Gastronomie',
            occurredAt: new Date(base + 950_000),
          },
        ],
        { source: 'x' },
      );
      await expect(derived).rejects.toThrow('down');
    } finally {
      failing.mockRestore();
    }
    expect(await owed()).toBe(1);

    const report = (await app.ok(INGEST, { items: [post('9101', 'partner_next')] }, b.admin))
      .ingestInteractions;
    expect(report.created).toBe(1);
    expect(await owed()).toBe(0);
    const [{ n }] = await db.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM interest_evidence e JOIN interactions i ON i.id::text = e.source_id
        WHERE i.destination_id = $1 AND i.external_id = 'partnerOwed1'`,
      [b.destination.id],
    );
    expect(Number(n)).toBeGreaterThan(0);
  });

  describe('an erased person posting again', () => {
    it('is not made a prospect again, by X id whatever the handle, or by handle when that is all we knew', async () => {
      // A prospect from their post, and a visitor the office knew by X handle only.
      const first = post('7001', 'lou_bzh', 'Trop bien le festival interceltique #musique');
      expect(await ingest([first])).toMatchObject({ created: 1, linkedToVisitors: 0 });
      const prospect = (await node(first.externalId))!.visitor!.id;
      const known = (
        await app.ok(
          CREATE,
          {
            input: { firstName: 'Yves', identities: [{ provider: 'TWITTER', handle: 'yves_lo' }] },
          },
          a.admin,
        )
      ).createVisitor.id as string;
      for (const id of [prospect, known]) {
        expect((await app.ok(ERASE, { id }, a.admin)).eraseVisitor).toBe(true);
      }
      const visitors = await visitorsOf(a.destination.id);

      // They post again (Lou under a new handle; Yves now with his X id), and so does a stranger.
      const again = post('7001', 'lou_renamed', 'De retour à Lorient, toujours aussi beau');
      const yves = post('7002', 'yves_lo', 'Merci pour cette belle soirée');
      const stranger = post('7003', 'nouvelle_venue', 'Première fois à Lorient');
      const report = await ingest([again, yves, stranger]);
      expect(report).toMatchObject({ received: 3, created: 1, updated: 0, rejected: [] });

      // Only the stranger became a prospect; nothing of Lou or Yves was stored.
      expect(await visitorsOf(a.destination.id)).toBe(visitors + 1);
      expect((await node(stranger.externalId))!.visitor!.tags).toEqual(['prospect']);
      expect(await node(again.externalId)).toBeUndefined();
      expect(await node(yves.externalId)).toBeUndefined();
      expect(
        await count(
          `SELECT count(*) AS n FROM social_identities
            WHERE destination_id = $1
              AND (external_id IN ('7001', '7002') OR lower(handle) IN ('lou_bzh', 'lou_renamed', 'yves_lo'))`,
          [a.destination.id],
        ),
      ).toBe(0);
      // Re-reading the erased post (a poll re-reads) does not bring its text back either.
      expect((await ingest([first])).updated).toBe(0);
      expect(await node(first.externalId)).toMatchObject({ text: null, visitor: null });

      // The suppression list names no account; another destination is not concerned. Two
      // accounts: each under its id (or its handle, when that was all we knew), and each handle
      // for imports.
      const hashes: { address_hash: string }[] = await db.query(
        'SELECT address_hash FROM suppressions WHERE destination_id = $1',
        [a.destination.id],
      );
      expect(hashes).toHaveLength(4);
      for (const { address_hash } of hashes) {
        expect(address_hash).toMatch(/^[0-9a-f]{64}$/);
        expect(address_hash).not.toMatch(/7001|lou|yves/);
      }
      const elsewhere = post('7001', 'lou_renamed');
      expect(await ingest([elsewhere], b.admin)).toMatchObject({ created: 1 });
      expect((await node(elsewhere.externalId, b.admin))!.visitor!.tags).toEqual(['prospect']);
      // Lou's old handle, now someone else's account (another id), is read: only imports hold an
      // erased account's handle against it.
      const newOwner = post('7009', 'lou_bzh', 'Nouveau compte, bonjour Lorient');
      expect(await ingest([newOwner])).toMatchObject({ created: 1 });
      expect((await node(newOwner.externalId))!.visitor!.tags).toEqual(['prospect']);
    });
  });

  describe('new prospects', () => {
    it('emit visitor.changed after the page committed, one per new prospect, none for known people', async () => {
      const knownId = (
        await app.ok(
          CREATE,
          {
            input: {
              firstName: 'Anaïs',
              identities: [{ provider: 'TWITTER', handle: 'anais_56' }],
            },
          },
          a.admin,
        )
      ).createVisitor.id as string;
      const page = [
        post('8001', 'gwen_56', 'Balade le long des quais'),
        post('8002', 'malo_56'),
        post('8001', 'gwen_56', 'Et le soir, concert'),
        post('8003', 'anais_56'),
        post('8004', 'tanguy_56', 'Les crêpes du marché'),
      ];
      const externalIds = page.map((p) => p.externalId);

      // Each event checks what is visible from outside the page's transaction at that moment.
      const seen: { event: VisitorChangedEvent; tags: string[] | null; pageRows: number }[] = [];
      const listener = async (event: VisitorChangedEvent) => {
        const [visitor] = (await db.query('SELECT tags FROM visitors WHERE id = $1', [
          event.visitorId,
        ])) as { tags: string[] }[];
        const pageRows = await count(
          'SELECT count(*) AS n FROM interactions WHERE destination_id = $1 AND external_id = ANY($2)',
          [a.destination.id, externalIds],
        );
        seen.push({ event, tags: visitor?.tags ?? null, pageRows });
      };
      const events = app.runtime.app.get(EventEmitter2);
      events.on(VisitorEvents.CHANGED, listener);
      try {
        expect(await ingest(page)).toMatchObject({ created: 5, linkedToVisitors: 1 });
        const prospects = new Set(
          await Promise.all(
            ['t' + (seq - 4), 't' + (seq - 3), 't' + seq].map(
              async (id) => (await node(id))!.visitor!.id,
            ),
          ),
        );
        expect(prospects.size).toBe(3);
        expect(seen.map((s) => s.event.visitorId).sort()).toEqual([...prospects].sort());
        for (const s of seen) {
          expect(s.event.destinationId).toBe(a.destination.id);
          expect(s.tags).toEqual(['prospect']);
          expect(s.pageRows).toBe(page.length);
        }
        expect(seen.some((s) => s.event.visitorId === knownId)).toBe(false);

        // Read again: nobody is new.
        seen.length = 0;
        expect(await ingest(page)).toMatchObject({ created: 0, updated: 5 });
        expect(seen).toEqual([]);
      } finally {
        events.off(VisitorEvents.CHANGED, listener);
      }
    });

    it('are announced for X pages fed to the pipeline by the poller too', async () => {
      const seen: string[] = [];
      const listener = (event: VisitorChangedEvent) => void seen.push(event.visitorId);
      const events = app.runtime.app.get(EventEmitter2);
      events.on(VisitorEvents.CHANGED, listener);
      try {
        const posts: NormalizedPost[] = ['9001', '9002'].map((author, i) => ({
          provider: SocialProvider.TWITTER,
          externalId: `x${author}`,
          kind: InteractionKind.POST,
          authorExternalId: author,
          authorHandle: `poll_${author}`,
          text: 'Lorient, la mer et le port',
          occurredAt: new Date(base + i),
        }));
        const report = await app.runtime.app
          .get(SocialIngestService)
          .ingest(a.destination.id, posts, { source: 'x' });
        expect(report.created).toBe(2);
        const ids: { visitor_id: string }[] = await db.query(
          `SELECT visitor_id FROM social_identities WHERE destination_id = $1 AND external_id = ANY($2)`,
          [a.destination.id, ['9001', '9002']],
        );
        expect(seen.sort()).toEqual(ids.map((r) => r.visitor_id).sort());
      } finally {
        events.off(VisitorEvents.CHANGED, listener);
      }
    });
  });
});
