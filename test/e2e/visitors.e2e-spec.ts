import { Role } from '../../src/modules/access/user.entity.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Headers = Record<string, string>;

const FIELDS = `id firstName lastName displayName email phone locale countryCode timeZone tags
  identities { provider handle externalId visitor { id } }
  consents { channel purpose granted source recordedAt }
  interests { interest { slug } sources }
  createdAt updatedAt`;
const CREATE = `mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateVisitorInput!) { updateVisitor(id: $id, input: $input) { ${FIELDS} } }`;
const LINK = `mutation($id: ID!, $identity: SocialIdentityInput!) {
  linkSocialIdentity(visitorId: $id, identity: $identity) { id identities { provider handle } }
}`;
const CONSENT = `mutation($id: ID!, $consent: ConsentInput!) {
  recordConsent(visitorId: $id, consent: $consent) { id consents { channel purpose granted source } }
}`;
const VISITOR = `query($id: ID!) { visitor(id: $id) { id email phone firstName } }`;
const VISITORS = `query($first: Int, $after: String, $filter: SegmentFilterInput) {
  visitors(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id email phone firstName } }
  }
}`;

describe('visitors (e2e)', () => {
  let app: TestApp;
  let a: Seeded;
  let b: Seeded;

  const ok = <T = Record<string, any>>(q: string, v: Record<string, unknown>, h: Headers) =>
    app.ok<T>(q, v, h);
  const fails = (q: string, v: Record<string, unknown>, h: Headers) => app.fails(q, v, h);
  const create = async (input: Record<string, unknown>, headers: Headers = a.admin) =>
    (await ok(CREATE, { input }, headers)).createVisitor as Record<string, any>;
  async function allVisitors(headers: Headers): Promise<Array<Record<string, any>>> {
    const nodes: Array<Record<string, any>> = [];
    for (let after: string | null = null; ;) {
      const page: any = (await ok(VISITORS, { first: 20, after }, headers)).visitors;
      nodes.push(...page.edges.map((e: { node: unknown }) => e.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
    }
  }
  const apiKey = async (scopes: string[]) => {
    const data = await ok(
      'mutation($s: [ApiScope!]!) { createApiKey(name: "partner", scopes: $s) { secret } }',
      { s: scopes },
      a.admin,
    );
    return { 'x-api-key': data.createApiKey.secret as string };
  };

  beforeAll(async () => {
    app = await startTestApp();
    a = await seedDestination(app, 'Rennes');
    b = await seedDestination(app, 'Saint-Malo');
    for (const slug of ['gastronomy', 'heritage', 'nightlife']) {
      await ok('mutation($s: String!) { upsertInterest(slug: $s) { id } }', { s: slug }, a.admin);
    }
  });
  afterAll(() => app?.stop());

  describe('createVisitor', () => {
    it('normalises the e-mail and tags, links identities, records consents and declared interests', async () => {
      const v = await create({
        firstName: ' Jean ',
        lastName: 'Dupont',
        email: '  Jean.Dupont@Example.ORG ',
        phone: '+33 6 12 34 56 78',
        locale: 'fr-fr',
        countryCode: 'fr',
        timeZone: 'europe/paris',
        tags: ['VIP', ' vip ', 'Golf'],
        identities: [{ provider: 'TWITTER', handle: '@JeanDupont35' }],
        consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'form' }],
        declaredInterests: ['gastronomy', 'Heritage'],
      });
      expect(v).toMatchObject({
        firstName: 'Jean',
        displayName: 'Jean Dupont',
        email: 'jean.dupont@example.org',
        locale: 'fr-FR',
        countryCode: 'FR',
        timeZone: 'Europe/Paris',
        tags: ['vip', 'golf'],
        identities: [{ provider: 'TWITTER', handle: 'JeanDupont35', visitor: { id: v.id } }],
        consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'form' }],
      });
      expect(v.interests.map((i: any) => [i.interest.slug, i.sources]).sort()).toEqual([
        ['gastronomy', ['DECLARED']],
        ['heritage', ['DECLARED']],
      ]);
      expect((await ok(VISITOR, { id: v.id }, a.admin)).visitor.email).toBe(
        'jean.dupont@example.org',
      );
    });

    it('answers CONFLICT naming the owner for an e-mail already taken (in any case)', async () => {
      const owner = await create({ email: 'owner@example.org' });
      const error = await fails(CREATE, { input: { email: 'OWNER@example.org ' } }, a.admin);
      expect(error.extensions.code).toBe('CONFLICT');
      expect(error.message).toContain(owner.id);
      expect(error.extensions.ownerId).toBe(owner.id);
      // Another destination may have the same person.
      expect((await create({ email: 'owner@example.org' }, b.admin)).id).not.toBe(owner.id);
    });

    it('answers BAD_USER_INPUT listing every bad field, and creates nothing', async () => {
      const before = (await ok(VISITORS, { first: 1 }, a.admin)).visitors.totalCount;
      const error = await fails(
        CREATE,
        {
          input: {
            email: 'not-an-email',
            phone: 'call me',
            locale: 'not a locale',
            countryCode: 'XX',
            timeZone: 'Mars/Olympus',
          },
        },
        a.admin,
      );
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.extensions.errors).toHaveLength(5);
      expect(error.message).toMatch(/email.*phone.*locale.*countryCode.*timeZone/);
      const unknown = await fails(
        CREATE,
        { input: { email: 'interested@example.org', declaredInterests: ['knitting'] } },
        a.admin,
      );
      expect(unknown.extensions.code).toBe('BAD_USER_INPUT');
      expect(unknown.message).toContain('knitting');
      expect((await ok(VISITORS, { first: 1 }, a.admin)).visitors.totalCount).toBe(before);
    });

    it('is for ADMIN and MARKETER; analysts and API keys are FORBIDDEN', async () => {
      const marketer = await a.as(Role.MARKETER);
      expect((await create({ firstName: 'By a marketer' }, marketer)).firstName).toBe(
        'By a marketer',
      );
      const analyst = await a.as(Role.ANALYST);
      expect((await fails(CREATE, { input: {} }, analyst)).extensions.code).toBe('FORBIDDEN');
      const key = await apiKey(['READ_PROFILES', 'WRITE_STAYS']);
      expect((await fails(CREATE, { input: {} }, key)).extensions.code).toBe('FORBIDDEN');
    });
  });

  describe('updateVisitor', () => {
    it('changes the given fields, keeps the others, and replaces the declared interests', async () => {
      const v = await create({
        firstName: 'Marie',
        email: 'marie@example.org',
        countryCode: 'FR',
        declaredInterests: ['gastronomy'],
      });
      const updated = (
        await ok(
          UPDATE,
          {
            id: v.id,
            input: {
              lastName: 'Le Gall',
              email: 'Marie.LeGall@Example.org',
              declaredInterests: ['nightlife'],
            },
          },
          a.admin,
        )
      ).updateVisitor;
      expect(updated).toMatchObject({
        id: v.id,
        firstName: 'Marie',
        lastName: 'Le Gall',
        email: 'marie.legall@example.org',
        countryCode: 'FR',
      });
      expect(updated.interests.map((i: any) => i.interest.slug)).toEqual(['nightlife']);
      expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(
        new Date(v.updatedAt).getTime(),
      );
    });

    it('refuses an e-mail of another visitor (CONFLICT) and bad fields (BAD_USER_INPUT)', async () => {
      const first = await create({ email: 'first@example.org' });
      const second = await create({ email: 'second@example.org' });
      const taken = await fails(
        UPDATE,
        { id: second.id, input: { email: 'first@example.org' } },
        a.admin,
      );
      expect(taken.extensions.code).toBe('CONFLICT');
      expect(taken.extensions.ownerId).toBe(first.id);
      const bad = await fails(
        UPDATE,
        { id: second.id, input: { countryCode: 'XX', timeZone: 'Nowhere/Land' } },
        a.admin,
      );
      expect(bad.extensions.code).toBe('BAD_USER_INPUT');
      expect(bad.extensions.errors).toHaveLength(2);
      // Its own e-mail again is no conflict.
      await ok(UPDATE, { id: second.id, input: { email: 'Second@example.org' } }, a.admin);
    });
  });

  describe('linkSocialIdentity', () => {
    it('stores the handle without @, matches it case-insensitively, and refuses a second owner with CONFLICT', async () => {
      const owner = await create({ firstName: 'Owner' });
      const linked = (
        await ok(
          LINK,
          { id: owner.id, identity: { provider: 'TWITTER', handle: '@Rennes_Fan' } },
          a.admin,
        )
      ).linkSocialIdentity;
      expect(linked.identities).toEqual([{ provider: 'TWITTER', handle: 'Rennes_Fan' }]);
      // The same account again, in another case, for the same visitor: nothing new.
      const again = (
        await ok(
          LINK,
          { id: owner.id, identity: { provider: 'TWITTER', handle: 'rennes_fan' } },
          a.admin,
        )
      ).linkSocialIdentity;
      expect(again.identities).toHaveLength(1);

      const other = await create({ firstName: 'Other' });
      const error = await fails(
        LINK,
        { id: other.id, identity: { provider: 'TWITTER', handle: 'RENNES_FAN' } },
        a.admin,
      );
      expect(error.extensions.code).toBe('CONFLICT');
      expect(error.message).toContain(owner.id);
      expect(error.extensions.ownerId).toBe(owner.id);
      // The display name falls back on the handle when there is no name.
      const anonymous = await create({
        identities: [{ provider: 'TWITTER', handle: 'bzh_walker' }],
      });
      expect(anonymous.displayName).toBe('@bzh_walker');
    });

    it('refuses an identity with neither handle nor externalId, and an invalid X handle', async () => {
      const v = await create({ firstName: 'Handles' });
      for (const identity of [
        { provider: 'TWITTER' },
        { provider: 'TWITTER', handle: 'not a handle!' },
      ]) {
        expect((await fails(LINK, { id: v.id, identity }, a.admin)).extensions.code).toBe(
          'BAD_USER_INPUT',
        );
      }
    });
  });

  describe('recordConsent', () => {
    it('appends to the history, newest first; the newest record is the current answer', async () => {
      const v = await create({ firstName: 'Consenting' });
      await ok(
        CONSENT,
        { id: v.id, consent: { purpose: 'PROFILING', granted: true, source: 'form' } },
        a.admin,
      );
      const history = (
        await ok(
          CONSENT,
          {
            id: v.id,
            consent: { purpose: 'PROFILING', granted: false, source: 'unsubscribe-link' },
          },
          a.admin,
        )
      ).recordConsent.consents;
      expect(history).toEqual([
        { channel: null, purpose: 'PROFILING', granted: false, source: 'unsubscribe-link' },
        { channel: null, purpose: 'PROFILING', granted: true, source: 'form' },
      ]);
      const noSource = await fails(
        CONSENT,
        { id: v.id, consent: { purpose: 'MARKETING', granted: true, source: '  ' } },
        a.admin,
      );
      expect(noSource.extensions.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('who sees what', () => {
    let consenting: Record<string, any>;
    let revoked: Record<string, any>;
    let silent: Record<string, any>;

    beforeAll(async () => {
      const profiling = (granted: boolean) => ({ purpose: 'PROFILING', granted, source: 'form' });
      consenting = await create({
        email: 'jean.martin@example.org',
        phone: '+33 6 12 34 56 78',
        consents: [profiling(true)],
      });
      revoked = await create({ email: 'revoked@example.org', consents: [profiling(true)] });
      await ok(CONSENT, { id: revoked.id, consent: profiling(false) }, a.admin);
      silent = await create({ email: 'silent@example.org' });
    });

    it('masks e-mail and phone for analysts, in visitor and visitors', async () => {
      const analyst = await a.as(Role.ANALYST);
      const one = (await ok(VISITOR, { id: consenting.id }, analyst)).visitor;
      expect(one).toMatchObject({ email: 'j***@example.org', phone: '***78' });
      const listed = (await allVisitors(analyst)).find((v) => v.id === consenting.id);
      expect(listed).toMatchObject({ email: 'j***@example.org', phone: '***78' });
      // Users with full access see them whole.
      const marketer = await a.as(Role.MARKETER);
      expect((await ok(VISITOR, { id: consenting.id }, marketer)).visitor.email).toBe(
        'jean.martin@example.org',
      );
    });

    it('shows READ_PROFILES keys only the visitors whose current PROFILING consent is granted', async () => {
      const key = await apiKey(['READ_PROFILES']);
      expect((await ok(VISITOR, { id: consenting.id }, key)).visitor).toMatchObject({
        email: 'jean.martin@example.org',
        phone: '+33 6 12 34 56 78',
      });
      for (const hidden of [revoked, silent]) {
        expect((await fails(VISITOR, { id: hidden.id }, key)).extensions.code).toBe('NOT_FOUND');
      }
      const listed = await allVisitors(key);
      const ids = listed.map((v) => v.id);
      expect(ids).toContain(consenting.id);
      expect(ids).not.toContain(revoked.id);
      expect(ids).not.toContain(silent.id);
      const page = (await ok(VISITORS, { first: 1 }, key)).visitors;
      expect(page.totalCount).toBe(listed.length);
    });

    it('refuses visitors to keys without READ_PROFILES', async () => {
      const key = await apiKey(['READ_AGGREGATES']);
      expect((await fails(VISITORS, {}, key)).extensions.code).toBe('FORBIDDEN');
      expect((await fails(VISITOR, { id: consenting.id }, key)).extensions.code).toBe('FORBIDDEN');
    });

    it("answers NOT_FOUND for another destination's visitor everywhere, and lists only its own", async () => {
      const id = consenting.id;
      expect((await fails(VISITOR, { id }, b.admin)).extensions.code).toBe('NOT_FOUND');
      expect(
        (await fails(UPDATE, { id, input: { firstName: 'Hijack' } }, b.admin)).extensions.code,
      ).toBe('NOT_FOUND');
      expect(
        (await fails(LINK, { id, identity: { provider: 'TWITTER', handle: 'hijack' } }, b.admin))
          .extensions.code,
      ).toBe('NOT_FOUND');
      expect(
        (
          await fails(
            CONSENT,
            { id, consent: { purpose: 'MARKETING', granted: true, source: 'form' } },
            b.admin,
          )
        ).extensions.code,
      ).toBe('NOT_FOUND');
      expect((await allVisitors(b.admin)).map((v) => v.id)).not.toContain(id);
      // Nothing changed on the visitor.
      const still = (await ok(VISITOR, { id }, a.admin)).visitor;
      expect(still.firstName).toBeNull();
      // A malformed id is bad input, not a server error.
      expect((await fails(VISITOR, { id: 'not-an-id' }, a.admin)).extensions.code).toBe(
        'BAD_USER_INPUT',
      );
    });
  });

  describe('visitors', () => {
    let c: Seeded;
    let created: string[];

    beforeAll(async () => {
      c = await seedDestination(app, 'Vannes');
      created = [];
      for (let i = 0; i < 7; i++) {
        created.push(
          (await create({ firstName: `Visitor ${i}`, email: `v${i}@example.org` }, c.admin)).id,
        );
      }
    });

    it('pages with first/after in a stable order (oldest first), with an exact totalCount', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const page: any = (await ok(VISITORS, { first: 3, after }, c.admin)).visitors;
        expect(page.totalCount).toBe(7);
        expect(page.edges.length).toBeLessThanOrEqual(3);
        seen.push(...page.edges.map((e: any) => e.node.id));
        pages++;
        if (!page.pageInfo.hasNextPage) {
          expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
          break;
        }
        after = page.pageInfo.endCursor;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(created);
      // The same page twice is the same page.
      const again = (await ok(VISITORS, { first: 3 }, c.admin)).visitors;
      expect(again.edges.map((e: any) => e.node.id)).toEqual(created.slice(0, 3));
      const empty = (await ok(VISITORS, { first: 0 }, c.admin)).visitors;
      expect(empty).toMatchObject({ totalCount: 7, edges: [] });
    });

    it('answers BAD_USER_INPUT for a bad cursor or page size', async () => {
      for (const variables of [
        { after: 'not a cursor' },
        { after: 'WyJ4Il0' },
        { first: -1 },
        { first: 100000 },
      ]) {
        expect((await fails(VISITORS, variables, c.admin)).extensions.code).toBe('BAD_USER_INPUT');
      }
    });

    it('filters with a segment filter (see segments.e2e-spec.ts); an empty filter lists', async () => {
      const total = async (filter: Record<string, unknown>) =>
        (await ok(VISITORS, { filter }, c.admin)).visitors.totalCount;
      expect(await total({ countries: ['FR'] })).toBe(0);
      expect(await total({ not: { tagsAny: ['vip'] } })).toBe(7);
      expect(await total({ hasConsent: { purpose: 'MARKETING' } })).toBe(0);
      expect(await total({})).toBe(7);
    });
  });
});
