import { Role } from '../../src/modules/access/user.entity.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Headers = Record<string, string>;

const INTEREST_FIELDS =
  'id slug keywords hashtags label fr: label(locale: "fr") en: label(locale: "en") enGB: label(locale: "en-GB") parent { id slug }';
const UPSERT = `mutation($slug: String!, $labels: JSON, $keywords: [String!], $hashtags: [String!], $parentSlug: String) {
  upsertInterest(slug: $slug, labels: $labels, keywords: $keywords, hashtags: $hashtags, parentSlug: $parentSlug) {
    ${INTEREST_FIELDS}
  }
}`;
const INTERESTS = `{ interests { ${INTEREST_FIELDS} } }`;
const UPSERT_PLACE = `mutation($id: ID, $name: String!, $kind: PlaceKind!, $interestSlugs: [String!]) {
  upsertPlace(id: $id, name: $name, kind: $kind, interestSlugs: $interestSlugs) { id name interests { id slug } }
}`;
const PLACES = '{ places { id name interests { id slug label(locale: "en") parent { slug } } } }';
const UPDATE_LOCALE =
  'mutation($l: String) { updateDestination(defaultLocale: $l) { defaultLocale } }';

describe('interests (e2e)', () => {
  let app: TestApp;
  let a: Seeded;
  let b: Seeded;

  const ok = <T = Record<string, any>>(q: string, v: Record<string, unknown>, h: Headers) =>
    app.ok<T>(q, v, h);
  const fails = (q: string, v: Record<string, unknown>, h: Headers) => app.fails(q, v, h);
  const interestsOf = async (headers: Headers) =>
    (await ok(INTERESTS, {}, headers)).interests as Array<Record<string, any>>;
  const interestOf = async (headers: Headers, slug: string) =>
    (await interestsOf(headers)).find((i) => i.slug === slug);

  beforeAll(async () => {
    app = await startTestApp();
    a = await seedDestination(app, 'Rennes');
    b = await seedDestination(app, 'Saint-Malo');
  });
  afterAll(() => app?.stop());

  it('creates an interest, then updates it in place (same id)', async () => {
    const created = (
      await ok(
        UPSERT,
        {
          slug: 'gastronomy',
          labels: { fr: 'Gastronomie', en: 'Food' },
          keywords: ['  Galette Saucisse ', 'crêpe', 'galette saucisse'],
          hashtags: ['#Galettes', 'BreizhFood', '#Galettes'],
        },
        a.admin,
      )
    ).upsertInterest;
    expect(created).toEqual({
      id: expect.any(String),
      slug: 'gastronomy',
      keywords: ['galette saucisse', 'crêpe'],
      hashtags: ['Galettes', 'BreizhFood'],
      label: 'Gastronomie',
      fr: 'Gastronomie',
      en: 'Food',
      enGB: 'Food',
      parent: null,
    });
    expect(await interestOf(a.admin, 'gastronomy')).toEqual(created);

    // Only the given fields change; the slug is matched in any case.
    const updated = (
      await ok(
        UPSERT,
        { slug: 'Gastronomy', labels: { fr: 'Gastronomie', en: 'Food and drink' } },
        a.admin,
      )
    ).upsertInterest;
    expect(updated).toEqual({ ...created, en: 'Food and drink', enGB: 'Food and drink' });
    expect((await interestsOf(a.admin)).filter((i) => i.slug === 'gastronomy')).toEqual([updated]);

    // Back to the labels the brief uses.
    await ok(UPSERT, { slug: 'gastronomy', labels: { fr: 'Gastronomie', en: 'Food' } }, a.admin);
  });

  it('accepts labels written inline as a GraphQL object literal', async () => {
    const res = await ok(
      'mutation { upsertInterest(slug: "nightlife", labels: {fr: "Vie nocturne", en: "Nightlife"}) { slug en: label(locale: "en") label } }',
      {},
      a.admin,
    );
    expect(res.upsertInterest).toEqual({
      slug: 'nightlife',
      en: 'Nightlife',
      label: 'Vie nocturne',
    });
  });

  describe('label', () => {
    it('answers the locale asked, its language, else the destination default locale', async () => {
      const res = await ok(
        `{ interests { slug
            en: label(locale: "en") enGB: label(locale: "en-GB") enLower: label(locale: "en-gb")
            frCA: label(locale: "fr-CA") de: label(locale: "de") none: label bad: label(locale: "not a locale!")
        } }`,
        {},
        a.admin,
      );
      expect(res.interests.find((i: { slug: string }) => i.slug === 'gastronomy')).toEqual({
        slug: 'gastronomy',
        en: 'Food',
        enGB: 'Food',
        enLower: 'Food',
        frCA: 'Gastronomie',
        de: 'Gastronomie',
        none: 'Gastronomie',
        bad: 'Gastronomie',
      });
    });

    it('prefers an exact regional label over its language', async () => {
      const res = await ok(
        UPSERT,
        { slug: 'sweets', labels: { fr: 'Douceurs', en: 'Sweets', 'en-us': 'Candy' } },
        a.admin,
      );
      expect(res.upsertInterest).toMatchObject({ label: 'Douceurs', en: 'Sweets', enGB: 'Sweets' });
      const us = await ok('{ interests { slug label(locale: "en-US") } }', {}, a.admin);
      expect(us.interests.find((i: { slug: string }) => i.slug === 'sweets').label).toBe('Candy');
    });

    it('follows a change of the destination default locale', async () => {
      await ok(UPDATE_LOCALE, { l: 'en-GB' }, a.admin);
      try {
        expect(await interestOf(a.admin, 'gastronomy')).toMatchObject({
          label: 'Food',
          fr: 'Gastronomie',
        });
      } finally {
        await ok(UPDATE_LOCALE, { l: 'fr' }, a.admin);
      }
      expect((await interestOf(a.admin, 'gastronomy'))?.label).toBe('Gastronomie');
    });

    it('falls back to another label, then to the slug', async () => {
      await ok(UPSERT, { slug: 'surf', labels: { en: 'Surfing' } }, a.admin);
      await ok(UPSERT, { slug: 'unlabelled' }, a.admin);
      expect(await interestOf(a.admin, 'surf')).toMatchObject({
        label: 'Surfing',
        fr: 'Surfing',
        en: 'Surfing',
      });
      expect(await interestOf(a.admin, 'unlabelled')).toMatchObject({
        label: 'unlabelled',
        en: 'unlabelled',
      });
    });
  });

  describe('parent', () => {
    it('sets, changes and clears the parent', async () => {
      const food = await interestOf(a.admin, 'gastronomy');
      const child = (
        await ok(
          UPSERT,
          {
            slug: 'street-food',
            labels: { fr: 'Cuisine de rue', en: 'Street food' },
            parentSlug: 'gastronomy',
          },
          a.admin,
        )
      ).upsertInterest;
      expect(child.parent).toEqual({ id: food!.id, slug: 'gastronomy' });
      const grandChild = (await ok(UPSERT, { slug: 'crepes', parentSlug: 'street-food' }, a.admin))
        .upsertInterest;
      expect(grandChild.parent).toEqual({ id: child.id, slug: 'street-food' });

      // Parents resolve in lists too, with their own fields.
      const nested = await ok(
        '{ interests { slug parent { slug label(locale: "en") parent { slug } } } }',
        {},
        a.admin,
      );
      expect(nested.interests.find((i: { slug: string }) => i.slug === 'crepes')).toEqual({
        slug: 'crepes',
        parent: { slug: 'street-food', label: 'Street food', parent: { slug: 'gastronomy' } },
      });

      // Updating other fields keeps the parent; null detaches; a slug reattaches.
      expect(
        (await ok(UPSERT, { slug: 'crepes', keywords: ['crêpe'] }, a.admin)).upsertInterest.parent
          ?.slug,
      ).toBe('street-food');
      expect(
        (await ok(UPSERT, { slug: 'crepes', parentSlug: null }, a.admin)).upsertInterest.parent,
      ).toBeNull();
      expect((await interestOf(a.admin, 'crepes'))?.parent).toBeNull();
      expect(
        (await ok(UPSERT, { slug: 'crepes', parentSlug: 'street-food' }, a.admin)).upsertInterest
          .parent?.slug,
      ).toBe('street-food');
    });

    it.each([
      ['itself', 'gastronomy', 'gastronomy'],
      ['its child', 'gastronomy', 'street-food'],
      ['its grandchild', 'gastronomy', 'crepes'],
      ['its own child, from the middle', 'street-food', 'crepes'],
    ])(
      'refuses making an interest the child of %s (a cycle) with BAD_USER_INPUT',
      async (_, slug, parentSlug) => {
        const before = await interestsOf(a.admin);
        const error = await fails(UPSERT, { slug, parentSlug, labels: { fr: 'Changé' } }, a.admin);
        expect(error.extensions.code).toBe('BAD_USER_INPUT');
        expect(error.extensions.field).toBe('parentSlug');
        expect(await interestsOf(a.admin)).toEqual(before);
      },
    );

    it('refuses an unknown parent slug with BAD_USER_INPUT and creates nothing', async () => {
      const error = await fails(UPSERT, { slug: 'oysters', parentSlug: 'seafood' }, a.admin);
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.message).toContain('seafood');
      expect(await interestOf(a.admin, 'oysters')).toBeUndefined();
    });
  });

  it.each([
    ['a slug with spaces and capitals', { slug: 'Not A Slug' }, 'slug'],
    ['a slug with underscores', { slug: 'street_food' }, 'slug'],
    ['a slug with a trailing dash', { slug: 'food-' }, 'slug'],
    ['an empty slug', { slug: '' }, 'slug'],
    ['a slug over 64 characters', { slug: 'a'.repeat(65) }, 'slug'],
    ['labels as a list', { slug: 'gastronomy', labels: ['Gastronomie'] }, 'labels'],
    ['labels as a string', { slug: 'gastronomy', labels: 'Gastronomie' }, 'labels'],
    ['a label that is not a string', { slug: 'gastronomy', labels: { fr: 12 } }, 'labels'],
    ['an empty label', { slug: 'gastronomy', labels: { fr: '  ' } }, 'labels'],
    ['a bad label locale', { slug: 'gastronomy', labels: { 'not a locale!': 'x' } }, 'labels'],
    ['a bad hashtag', { slug: 'gastronomy', hashtags: ['#ok', '#not ok'] }, 'hashtags'],
  ])('refuses %s with BAD_USER_INPUT and changes nothing', async (_, variables, field) => {
    const before = await interestsOf(a.admin);
    const error = await fails(UPSERT, { keywords: ['changed'], ...variables }, a.admin);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.field).toBe(field);
    expect(await interestsOf(a.admin)).toEqual(before);
  });

  describe('roles and keys', () => {
    it('lets a MARKETER upsert interests; an ANALYST reads them but gets FORBIDDEN to write', async () => {
      const marketer = await a.as(Role.MARKETER);
      expect(
        (
          await ok(
            UPSERT,
            { slug: 'heritage', labels: { fr: 'Patrimoine', en: 'Heritage' } },
            marketer,
          )
        ).upsertInterest.slug,
      ).toBe('heritage');
      const analyst = await a.as(Role.ANALYST);
      const before = await interestsOf(a.admin);
      expect(await interestsOf(analyst)).toEqual(before);
      const error = await fails(UPSERT, { slug: 'heritage', labels: { fr: 'Volé' } }, analyst);
      expect(error.extensions.code).toBe('FORBIDDEN');
      expect(await interestsOf(a.admin)).toEqual(before);
    });

    it.each(['READ_AGGREGATES', 'READ_PROFILES', 'WRITE_INTERACTIONS', 'WRITE_STAYS'])(
      'lets an API key with only %s read interests and places (with their interests), not write them',
      async (scope) => {
        await ok(
          UPSERT_PLACE,
          { name: 'Marché des Lices', kind: 'EVENT', interestSlugs: ['street-food', 'heritage'] },
          a.admin,
        );
        const created = await ok(
          `mutation { createApiKey(name: "Partner ${scope}", scopes: [${scope}]) { secret } }`,
          {},
          a.admin,
        );
        const key = { 'x-api-key': created.createApiKey.secret };

        expect(await interestsOf(key)).toEqual(await interestsOf(a.admin));
        const places = (await ok(PLACES, {}, key)).places;
        expect(places).toEqual((await ok(PLACES, {}, a.admin)).places);
        expect(
          places.find((p: { name: string }) => p.name === 'Marché des Lices').interests,
        ).toEqual([
          { id: expect.any(String), slug: 'heritage', label: 'Heritage', parent: null },
          {
            id: expect.any(String),
            slug: 'street-food',
            label: 'Street food',
            parent: { slug: 'gastronomy' },
          },
        ]);

        expect((await fails(UPSERT, { slug: 'partner-made' }, key)).extensions.code).toBe(
          'FORBIDDEN',
        );
        expect(
          (await fails(UPSERT_PLACE, { name: 'Partner place', kind: 'OTHER' }, key)).extensions
            .code,
        ).toBe('FORBIDDEN');
      },
    );

    it('refuses callers without credentials', async () => {
      expect((await app.gql(INTERESTS)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('tenant isolation', () => {
    it('lets two destinations use the same slug, each with its own interest', async () => {
      const aFood = await interestOf(a.admin, 'gastronomy');
      const bFood = (
        await ok(
          UPSERT,
          {
            slug: 'gastronomy',
            labels: { fr: 'Fruits de mer', en: 'Seafood' },
            hashtags: ['Huitres'],
          },
          b.admin,
        )
      ).upsertInterest;
      expect(bFood.id).not.toBe(aFood!.id);
      expect(bFood).toMatchObject({
        slug: 'gastronomy',
        label: 'Fruits de mer',
        en: 'Seafood',
        hashtags: ['Huitres'],
        parent: null,
      });

      // A's interest is unchanged by B's upsert, and B's by A's.
      expect(await interestOf(a.admin, 'gastronomy')).toEqual(aFood);
      await ok(UPSERT, { slug: 'gastronomy', keywords: ['kouign-amann'] }, a.admin);
      expect(await interestOf(b.admin, 'gastronomy')).toEqual(bFood);
    });

    it('never lists another destination’s interests', async () => {
      await ok(UPSERT, { slug: 'sailing', labels: { fr: 'Voile' } }, b.admin);
      const aList = await interestsOf(a.admin);
      const bList = await interestsOf(b.admin);
      const aIds = new Set(aList.map((i) => i.id));
      expect(bList.some((i) => aIds.has(i.id))).toBe(false);
      expect(aList.map((i) => i.slug)).not.toContain('sailing');
      expect(bList.map((i) => i.slug)).toContain('sailing');
      expect(bList.map((i) => i.slug)).not.toContain('street-food');

      // Nor through a key of A.
      const created = await ok(
        'mutation { createApiKey(name: "Reader", scopes: [READ_AGGREGATES]) { secret } }',
        {},
        a.admin,
      );
      const viaKey = await interestsOf({ 'x-api-key': created.createApiKey.secret });
      expect(viaKey.map((i) => i.slug)).not.toContain('sailing');
    });

    it('does not resolve another destination’s interest as parent or place interest', async () => {
      // "sailing" exists only in B.
      const asParent = await fails(UPSERT, { slug: 'regatta', parentSlug: 'sailing' }, a.admin);
      expect(asParent.extensions.code).toBe('BAD_USER_INPUT');
      expect(await interestOf(a.admin, 'regatta')).toBeUndefined();

      const onPlace = await fails(
        UPSERT_PLACE,
        { name: 'Port de plaisance', kind: 'VENUE', interestSlugs: ['sailing'] },
        a.admin,
      );
      expect(onPlace.extensions.code).toBe('BAD_USER_INPUT');
      expect(onPlace.message).toContain('sailing');

      // A place of A linked to "gastronomy" gets A's interest, not B's of the same slug.
      const aFood = await interestOf(a.admin, 'gastronomy');
      const place = (
        await ok(
          UPSERT_PLACE,
          { name: 'Halles Centrales', kind: 'VENUE', interestSlugs: ['gastronomy'] },
          a.admin,
        )
      ).upsertPlace;
      expect(place.interests).toEqual([{ id: aFood!.id, slug: 'gastronomy' }]);
      const bPlaces = (await ok(PLACES, {}, b.admin)).places;
      expect(bPlaces.map((p: { id: string }) => p.id)).not.toContain(place.id);
    });
  });
});
