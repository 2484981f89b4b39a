import { Role } from '../../src/modules/access/user.entity.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Headers = Record<string, string>;

const DESTINATION =
  '{ destination { id name timeZone defaultLocale twitterHandles trackedHashtags quietHours { start end } } }';
const UPDATE = `mutation(
  $name: String, $timeZone: String, $defaultLocale: String, $twitterHandles: [String!],
  $trackedHashtags: [String!], $quietStart: String, $quietEnd: String
) {
  updateDestination(
    name: $name, timeZone: $timeZone, defaultLocale: $defaultLocale, twitterHandles: $twitterHandles,
    trackedHashtags: $trackedHashtags, quietStart: $quietStart, quietEnd: $quietEnd
  ) { id name timeZone defaultLocale twitterHandles trackedHashtags quietHours { start end } }
}`;
const PLACE_FIELDS = 'id name kind twitterHandle latitude longitude interests { slug }';
const UPSERT_PLACE = `mutation(
  $id: ID, $name: String!, $kind: PlaceKind!, $twitterHandle: String, $latitude: Float, $longitude: Float,
  $interestSlugs: [String!]
) {
  upsertPlace(
    id: $id, name: $name, kind: $kind, twitterHandle: $twitterHandle, latitude: $latitude,
    longitude: $longitude, interestSlugs: $interestSlugs
  ) { ${PLACE_FIELDS} }
}`;
const PLACES = `{ places { ${PLACE_FIELDS} } }`;
const TRACK =
  'mutation($kind: TrackKind!, $value: String!) { trackSource(kind: $kind, value: $value) { id kind value active } }';
const UNTRACK = 'mutation($id: ID!) { untrackSource(id: $id) { id kind value active } }';
const UPSERT_INTEREST =
  'mutation($slug: String!, $labels: JSON) { upsertInterest(slug: $slug, labels: $labels) { id slug } }';

describe('destinations (e2e)', () => {
  let app: TestApp;
  let a: Seeded;
  let b: Seeded;

  const ok = <T = Record<string, any>>(q: string, v: Record<string, unknown>, h: Headers) =>
    app.ok<T>(q, v, h);
  const fails = (q: string, v: Record<string, unknown>, h: Headers) => app.fails(q, v, h);
  const destinationOf = async (headers: Headers) =>
    (await ok(DESTINATION, {}, headers)).destination;
  const placesOf = async (headers: Headers) =>
    (await ok(PLACES, {}, headers)).places as Array<Record<string, any>>;

  beforeAll(async () => {
    app = await startTestApp();
    a = await seedDestination(app, 'Rennes');
    b = await seedDestination(app, 'Saint-Malo');
  });
  afterAll(() => app?.stop());

  describe('destination settings', () => {
    it('answers the caller’s destination with its defaults', async () => {
      expect(await destinationOf(a.admin)).toEqual({
        id: a.destination.id,
        name: 'Rennes',
        timeZone: 'Europe/Paris',
        defaultLocale: 'fr',
        twitterHandles: [],
        trackedHashtags: [],
        quietHours: null,
      });
      expect((await destinationOf(b.admin)).id).toBe(b.destination.id);
    });

    it('updates name, IANA zone, canonical locale, handles without @, hashtags without #', async () => {
      const { updateDestination } = await ok(
        UPDATE,
        {
          name: '  Rennes Métropole ',
          timeZone: 'America/Montreal',
          defaultLocale: 'en-gb',
          twitterHandles: ['@RennesTourisme', 'rennes_ville', '@RennesTourisme'],
          trackedHashtags: ['#RennesSocialDerby', 'Bretagne'],
        },
        a.admin,
      );
      const expected = {
        id: a.destination.id,
        name: 'Rennes Métropole',
        timeZone: 'America/Montreal',
        defaultLocale: 'en-GB',
        twitterHandles: ['RennesTourisme', 'rennes_ville'],
        trackedHashtags: ['RennesSocialDerby', 'Bretagne'],
        quietHours: null,
      };
      expect(updateDestination).toEqual(expected);
      expect(await destinationOf(a.admin)).toEqual(expected);

      // Absent arguments are left as they are.
      const renamed = await ok(UPDATE, { name: 'Rennes' }, a.admin);
      expect(renamed.updateDestination).toEqual({ ...expected, name: 'Rennes' });

      // Back to the defaults used by the other tests.
      await ok(UPDATE, { timeZone: 'Europe/Paris', defaultLocale: 'fr' }, a.admin);
      // B is untouched by A's updates.
      expect(await destinationOf(b.admin)).toMatchObject({
        name: 'Saint-Malo',
        twitterHandles: [],
        trackedHashtags: [],
      });
    });

    it('sets quiet hours with both ends and clears them with both null', async () => {
      const set = await ok(UPDATE, { quietStart: '22:00', quietEnd: '07:30' }, a.admin);
      expect(set.updateDestination.quietHours).toEqual({ start: '22:00', end: '07:30' });
      expect((await destinationOf(a.admin)).quietHours).toEqual({ start: '22:00', end: '07:30' });

      // Another field alone does not clear them.
      await ok(UPDATE, { name: 'Rennes' }, a.admin);
      expect((await destinationOf(a.admin)).quietHours).toEqual({ start: '22:00', end: '07:30' });

      const cleared = await ok(UPDATE, { quietStart: null, quietEnd: null }, a.admin);
      expect(cleared.updateDestination.quietHours).toBeNull();
      expect((await destinationOf(a.admin)).quietHours).toBeNull();
    });

    it.each([
      ['an unknown zone', { timeZone: 'Mars/Olympus' }, 'timeZone'],
      ['a non-IANA zone', { timeZone: 'CET' }, 'timeZone'],
      ['an offset as zone', { timeZone: '+02:00' }, 'timeZone'],
      ['a bad locale', { defaultLocale: 'not a locale!' }, 'defaultLocale'],
      ['a bad handle', { twitterHandles: ['@ok_handle', 'not a handle!'] }, 'twitterHandles'],
      ['a too long handle', { twitterHandles: ['@a_handle_that_is_too_long'] }, 'twitterHandles'],
      ['a bad hashtag', { trackedHashtags: ['#Rennes', '#no spaces'] }, 'trackedHashtags'],
      ['a 24:00 quiet start', { quietStart: '24:00', quietEnd: '07:00' }, 'quietStart'],
      ['a malformed quiet end', { quietStart: '22:00', quietEnd: '7h' }, 'quietEnd'],
      ['only quietStart', { quietStart: '22:00' }, undefined],
      ['only quietEnd', { quietEnd: '07:00' }, undefined],
      ['quietStart set and quietEnd null', { quietStart: '22:00', quietEnd: null }, undefined],
      ['an empty name', { name: '   ' }, 'name'],
    ])('refuses %s with BAD_USER_INPUT and changes nothing', async (_, variables, field) => {
      // A valid change alongside the bad one must not be applied either.
      await ok(UPDATE, { quietStart: '23:00', quietEnd: '06:00' }, a.admin);
      const before = await destinationOf(a.admin);
      const error = await fails(UPDATE, { name: 'Should not be saved', ...variables }, a.admin);
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      if (field) expect(error.extensions.field).toBe(field);
      expect(await destinationOf(a.admin)).toEqual(before);
    });

    it('refuses updateDestination to MARKETER and ANALYST with FORBIDDEN; they can read it', async () => {
      const before = await destinationOf(a.admin);
      for (const role of [Role.MARKETER, Role.ANALYST]) {
        const headers = await a.as(role);
        const error = await fails(UPDATE, { name: `Renamed by ${role}` }, headers);
        expect(error.extensions.code).toBe('FORBIDDEN');
        expect(await destinationOf(headers)).toEqual(before);
      }
      expect(await destinationOf(a.admin)).toEqual(before);
    });

    it('refuses callers without credentials', async () => {
      expect((await app.gql(DESTINATION)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('places', () => {
    it('creates a place, then updates it by the same name in another case (no duplicate)', async () => {
      const created = (
        await ok(
          UPSERT_PLACE,
          {
            name: 'Parlement de Bretagne',
            kind: 'ATTRACTION',
            latitude: 48.1125,
            longitude: -1.6794,
          },
          a.admin,
        )
      ).upsertPlace;
      expect(created).toEqual({
        id: expect.any(String),
        name: 'Parlement de Bretagne',
        kind: 'ATTRACTION',
        twitterHandle: null,
        latitude: 48.1125,
        longitude: -1.6794,
        interests: [],
      });

      const updated = (
        await ok(
          UPSERT_PLACE,
          { name: 'PARLEMENT DE BRETAGNE', kind: 'VENUE', twitterHandle: '@ParlementBzh' },
          a.admin,
        )
      ).upsertPlace;
      expect(updated).toEqual({
        ...created,
        name: 'PARLEMENT DE BRETAGNE',
        kind: 'VENUE',
        twitterHandle: 'ParlementBzh',
      });
      const matching = (await placesOf(a.admin)).filter(
        (p) => p.name.toLowerCase() === 'parlement de bretagne',
      );
      expect(matching).toEqual([updated]);
    });

    it('updates a place by id (rename, clear handle and coordinates)', async () => {
      const { id } = (
        await ok(
          UPSERT_PLACE,
          {
            name: 'Place des Lices',
            kind: 'SQUARE',
            twitterHandle: 'PlaceDesLices',
            latitude: 48.1136,
            longitude: -1.6829,
          },
          a.admin,
        )
      ).upsertPlace;
      const renamed = (
        await ok(
          UPSERT_PLACE,
          {
            id,
            name: 'Marché des Lices',
            kind: 'EVENT',
            twitterHandle: null,
            latitude: null,
            longitude: null,
          },
          a.admin,
        )
      ).upsertPlace;
      expect(renamed).toEqual({
        id,
        name: 'Marché des Lices',
        kind: 'EVENT',
        twitterHandle: null,
        latitude: null,
        longitude: null,
        interests: [],
      });
      const names = (await placesOf(a.admin)).map((p) => p.name);
      expect(names).toContain('Marché des Lices');
      expect(names).not.toContain('Place des Lices');

      const missing = await fails(
        UPSERT_PLACE,
        { id: '00000000-0000-4000-8000-000000000000', name: 'Nowhere', kind: 'OTHER' },
        a.admin,
      );
      expect(missing.extensions.code).toBe('NOT_FOUND');
      const malformed = await fails(
        UPSERT_PLACE,
        { id: 'not-a-uuid', name: 'Nowhere', kind: 'OTHER' },
        a.admin,
      );
      expect(malformed.extensions.code).toBe('BAD_USER_INPUT');
      expect((await placesOf(a.admin)).map((p) => p.name)).not.toContain('Nowhere');
    });

    it.each([
      ['latitude above 90', { latitude: 90.5, longitude: 0 }, 'latitude'],
      ['latitude below -90', { latitude: -91, longitude: 0 }, 'latitude'],
      ['longitude above 180', { latitude: 0, longitude: 180.01 }, 'longitude'],
      ['longitude below -180', { latitude: 0, longitude: -200 }, 'longitude'],
      ['a bad handle', { twitterHandle: 'not a handle!' }, 'twitterHandle'],
      ['an empty name', { name: '  ' }, 'name'],
    ])('refuses %s with BAD_USER_INPUT and creates nothing', async (_, variables, field) => {
      const before = await placesOf(a.admin);
      const error = await fails(
        UPSERT_PLACE,
        { name: 'Invalid place', kind: 'OTHER', ...variables },
        a.admin,
      );
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.extensions.field).toBe(field);
      expect(await placesOf(a.admin)).toEqual(before);
    });

    it('accepts the limits of latitude and longitude', async () => {
      const place = (
        await ok(
          UPSERT_PLACE,
          { name: 'Antipode', kind: 'OTHER', latitude: -90, longitude: 180 },
          a.admin,
        )
      ).upsertPlace;
      expect(place).toMatchObject({ latitude: -90, longitude: 180 });
    });

    it('answers CONFLICT for two places with the same handle (any case), and keeps the first', async () => {
      const first = (
        await ok(
          UPSERT_PLACE,
          { name: 'Les Champs Libres', kind: 'VENUE', twitterHandle: '@ChampsLibres' },
          a.admin,
        )
      ).upsertPlace;
      const error = await fails(
        UPSERT_PLACE,
        { name: 'Champs Libres bis', kind: 'VENUE', twitterHandle: 'champslibres' },
        a.admin,
      );
      expect(error.extensions.code).toBe('CONFLICT');
      const places = await placesOf(a.admin);
      expect(places.filter((p) => p.twitterHandle?.toLowerCase() === 'champslibres')).toEqual([
        first,
      ]);
      expect(places.map((p) => p.name)).not.toContain('Champs Libres bis');

      // Renaming a place to another's name is a CONFLICT too.
      const other = (await ok(UPSERT_PLACE, { name: 'Thabor', kind: 'ATTRACTION' }, a.admin))
        .upsertPlace;
      const rename = await fails(
        UPSERT_PLACE,
        { id: other.id, name: 'les champs libres', kind: 'ATTRACTION' },
        a.admin,
      );
      expect(rename.extensions.code).toBe('CONFLICT');

      // Another destination may use the same handle.
      const inB = (
        await ok(
          UPSERT_PLACE,
          { name: 'Champs Libres (B)', kind: 'VENUE', twitterHandle: 'ChampsLibres' },
          b.admin,
        )
      ).upsertPlace;
      expect(inB.twitterHandle).toBe('ChampsLibres');
    });

    it('links interests by slug, replaces the list when given, and refuses unknown slugs naming them', async () => {
      await ok(
        UPSERT_INTEREST,
        { slug: 'gastronomy', labels: { fr: 'Gastronomie', en: 'Food' } },
        a.admin,
      );
      await ok(
        UPSERT_INTEREST,
        { slug: 'heritage', labels: { fr: 'Patrimoine', en: 'Heritage' } },
        a.admin,
      );
      await ok(
        UPSERT_INTEREST,
        { slug: 'markets', labels: { fr: 'Marchés', en: 'Markets' } },
        a.admin,
      );

      const place = (
        await ok(
          UPSERT_PLACE,
          {
            name: 'Marché des Halles',
            kind: 'VENUE',
            interestSlugs: ['heritage', 'Gastronomy', 'gastronomy'],
          },
          a.admin,
        )
      ).upsertPlace;
      expect(place.interests).toEqual([{ slug: 'gastronomy' }, { slug: 'heritage' }]);
      const listed = (await placesOf(a.admin)).find((p) => p.id === place.id);
      expect(listed?.interests).toEqual([{ slug: 'gastronomy' }, { slug: 'heritage' }]);

      // Without interestSlugs the links stay; with them they are replaced.
      const kept = (
        await ok(UPSERT_PLACE, { id: place.id, name: 'Marché des Halles', kind: 'VENUE' }, a.admin)
      ).upsertPlace;
      expect(kept.interests).toEqual([{ slug: 'gastronomy' }, { slug: 'heritage' }]);
      const replaced = (
        await ok(
          UPSERT_PLACE,
          { id: place.id, name: 'Marché des Halles', kind: 'VENUE', interestSlugs: ['markets'] },
          a.admin,
        )
      ).upsertPlace;
      expect(replaced.interests).toEqual([{ slug: 'markets' }]);

      const error = await fails(
        UPSERT_PLACE,
        {
          id: place.id,
          name: 'Marché renommé',
          kind: 'VENUE',
          interestSlugs: ['markets', 'surfing', 'opera'],
        },
        a.admin,
      );
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.extensions.field).toBe('interestSlugs');
      expect(error.message).toContain('surfing');
      expect(error.message).toContain('opera');
      expect(error.message).not.toContain('markets');
      // Nothing changed: neither the name nor the links.
      const after = (await placesOf(a.admin)).find((p) => p.id === place.id);
      expect(after).toMatchObject({ name: 'Marché des Halles', interests: [{ slug: 'markets' }] });

      // B's interests cannot be linked from A (B has a "surfing" interest, A does not).
      await ok(UPSERT_INTEREST, { slug: 'surfing' }, b.admin);
      const foreign = await fails(
        UPSERT_PLACE,
        { id: place.id, name: 'Marché des Halles', kind: 'VENUE', interestSlugs: ['surfing'] },
        a.admin,
      );
      expect(foreign.extensions.code).toBe('BAD_USER_INPUT');
    });

    it('lets a MARKETER upsert places; an ANALYST can read but not upsert (FORBIDDEN)', async () => {
      const marketer = await a.as(Role.MARKETER);
      const created = (await ok(UPSERT_PLACE, { name: 'Opéra de Rennes', kind: 'VENUE' }, marketer))
        .upsertPlace;
      expect(created.name).toBe('Opéra de Rennes');

      const analyst = await a.as(Role.ANALYST);
      const before = await placesOf(a.admin);
      const error = await fails(UPSERT_PLACE, { name: 'Analyst place', kind: 'OTHER' }, analyst);
      expect(error.extensions.code).toBe('FORBIDDEN');
      const renamed = await fails(
        UPSERT_PLACE,
        { id: created.id, name: 'Renamed by analyst', kind: 'OTHER' },
        analyst,
      );
      expect(renamed.extensions.code).toBe('FORBIDDEN');
      expect(await placesOf(analyst)).toEqual(before);
    });
  });

  describe('tracked sources', () => {
    it('stores a hashtag without # and is idempotent in any case, re-activating after untrack', async () => {
      const tracked = (await ok(TRACK, { kind: 'HASHTAG', value: '#Rennes' }, a.admin)).trackSource;
      expect(tracked).toEqual({
        id: expect.any(String),
        kind: 'HASHTAG',
        value: 'Rennes',
        active: true,
      });

      const again = (await ok(TRACK, { kind: 'HASHTAG', value: 'rennes' }, a.admin)).trackSource;
      expect(again).toMatchObject({ id: tracked.id, kind: 'HASHTAG', active: true });
      expect(again.value.toLowerCase()).toBe('rennes');

      const untracked = (await ok(UNTRACK, { id: tracked.id }, a.admin)).untrackSource;
      expect(untracked).toMatchObject({ id: tracked.id, active: false });
      // Untracking twice is harmless.
      expect((await ok(UNTRACK, { id: tracked.id }, a.admin)).untrackSource.active).toBe(false);

      const reactivated = (await ok(TRACK, { kind: 'HASHTAG', value: '#RENNES' }, a.admin))
        .trackSource;
      expect(reactivated).toMatchObject({ id: tracked.id, active: true });

      // The same value of another kind is another source.
      const query = (await ok(TRACK, { kind: 'QUERY', value: 'Rennes' }, a.admin)).trackSource;
      expect(query.id).not.toBe(tracked.id);
    });

    it('validates MENTION and ACCOUNT handles and stores them without @', async () => {
      const mention = (await ok(TRACK, { kind: 'MENTION', value: '@RennesTourisme' }, a.admin))
        .trackSource;
      expect(mention).toMatchObject({ kind: 'MENTION', value: 'RennesTourisme', active: true });
      const account = (await ok(TRACK, { kind: 'ACCOUNT', value: 'rennes_ville' }, a.admin))
        .trackSource;
      expect(account).toMatchObject({ kind: 'ACCOUNT', value: 'rennes_ville', active: true });

      for (const [kind, value] of [
        ['MENTION', 'not a handle'],
        ['MENTION', '@a_handle_that_is_too_long'],
        ['ACCOUNT', '@bad-handle'],
        ['ACCOUNT', ''],
        ['HASHTAG', '#two words'],
        ['HASHTAG', '#'],
      ]) {
        const error = await fails(TRACK, { kind, value }, a.admin);
        expect([kind, value, error.extensions.code]).toEqual([kind, value, 'BAD_USER_INPUT']);
      }
    });

    it('accepts a QUERY of 512 characters and refuses a longer or empty one', async () => {
      const longest = `rennes ${'x'.repeat(505)}`;
      expect(longest).toHaveLength(512);
      const accepted = (await ok(TRACK, { kind: 'QUERY', value: longest }, a.admin)).trackSource;
      expect(accepted).toMatchObject({ kind: 'QUERY', value: longest, active: true });

      const tooLong = await fails(TRACK, { kind: 'QUERY', value: `${longest}y` }, a.admin);
      expect(tooLong.extensions.code).toBe('BAD_USER_INPUT');
      const empty = await fails(TRACK, { kind: 'QUERY', value: '   ' }, a.admin);
      expect(empty.extensions.code).toBe('BAD_USER_INPUT');
    });

    it('lets a MARKETER track; an ANALYST gets FORBIDDEN', async () => {
      const marketer = await a.as(Role.MARKETER);
      const tracked = (await ok(TRACK, { kind: 'HASHTAG', value: 'BreizhCafe' }, marketer))
        .trackSource;
      expect(tracked.value).toBe('BreizhCafe');
      const analyst = await a.as(Role.ANALYST);
      expect(
        (await fails(TRACK, { kind: 'HASHTAG', value: 'Analyst' }, analyst)).extensions.code,
      ).toBe('FORBIDDEN');
      expect((await fails(UNTRACK, { id: tracked.id }, analyst)).extensions.code).toBe('FORBIDDEN');
    });

    it('answers NOT_FOUND for an unknown source id', async () => {
      const error = await fails(UNTRACK, { id: '00000000-0000-4000-8000-000000000000' }, a.admin);
      expect(error.extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('tenant isolation', () => {
    it('never lists another destination’s places', async () => {
      const bPlace = (
        await ok(
          UPSERT_PLACE,
          { name: 'Remparts de Saint-Malo', kind: 'ATTRACTION', twitterHandle: 'Remparts' },
          b.admin,
        )
      ).upsertPlace;
      const aPlace = (
        await ok(UPSERT_PLACE, { name: 'Cathédrale Saint-Pierre', kind: 'ATTRACTION' }, a.admin)
      ).upsertPlace;

      const aPlaces = await placesOf(a.admin);
      expect(aPlaces.map((p) => p.id)).toContain(aPlace.id);
      expect(aPlaces.map((p) => p.id)).not.toContain(bPlace.id);
      expect(aPlaces.map((p) => p.name)).not.toContain('Remparts de Saint-Malo');

      const bPlaces = await placesOf(b.admin);
      expect(bPlaces.map((p) => p.id)).toContain(bPlace.id);
      expect(bPlaces.map((p) => p.id)).not.toContain(aPlace.id);
    });

    it('answers NOT_FOUND to upsertPlace on another destination’s place id, leaving it unchanged', async () => {
      const bPlace = (
        await ok(
          UPSERT_PLACE,
          {
            name: 'Fort National',
            kind: 'ATTRACTION',
            twitterHandle: 'FortNational',
            latitude: 48.6535,
            longitude: -2.0241,
          },
          b.admin,
        )
      ).upsertPlace;
      const error = await fails(
        UPSERT_PLACE,
        {
          id: bPlace.id,
          name: 'Hijacked',
          kind: 'OTHER',
          twitterHandle: 'Hijacked',
          latitude: 0,
          longitude: 0,
          interestSlugs: [],
        },
        a.admin,
      );
      expect(error.extensions.code).toBe('NOT_FOUND');
      expect(JSON.stringify(error)).not.toContain('Fort National');

      expect((await placesOf(b.admin)).find((p) => p.id === bPlace.id)).toEqual(bPlace);
      expect((await placesOf(a.admin)).map((p) => p.name)).not.toContain('Hijacked');

      // A place of the same name in A is A's own, not B's.
      const mine = (await ok(UPSERT_PLACE, { name: 'fort national', kind: 'OTHER' }, a.admin))
        .upsertPlace;
      expect(mine.id).not.toBe(bPlace.id);
      expect((await placesOf(b.admin)).find((p) => p.id === bPlace.id)).toEqual(bPlace);
    });

    it('answers NOT_FOUND to untrackSource on another destination’s source, leaving it active', async () => {
      const bSource = (await ok(TRACK, { kind: 'HASHTAG', value: '#SaintMalo' }, b.admin))
        .trackSource;
      const error = await fails(UNTRACK, { id: bSource.id }, a.admin);
      expect(error.extensions.code).toBe('NOT_FOUND');

      // B's source is still active: tracking it again in B returns it, active.
      const still = (await ok(TRACK, { kind: 'HASHTAG', value: 'SaintMalo' }, b.admin)).trackSource;
      expect(still).toMatchObject({ id: bSource.id, active: true });

      // The same hashtag tracked by A is A's own source; untracking it does not touch B's.
      const aSource = (await ok(TRACK, { kind: 'HASHTAG', value: 'SaintMalo' }, a.admin))
        .trackSource;
      expect(aSource.id).not.toBe(bSource.id);
      expect((await ok(UNTRACK, { id: aSource.id }, a.admin)).untrackSource.active).toBe(false);
      expect(
        (await ok(TRACK, { kind: 'HASHTAG', value: 'SaintMalo' }, b.admin)).trackSource,
      ).toMatchObject({ id: bSource.id, active: true });
    });

    it('keeps destination settings apart', async () => {
      await ok(UPDATE, { trackedHashtags: ['SaintMaloBzh'] }, b.admin);
      expect((await destinationOf(a.admin)).trackedHashtags).not.toContain('SaintMaloBzh');
      expect((await destinationOf(b.admin)).trackedHashtags).toEqual(['SaintMaloBzh']);
    });
  });

  describe('API keys', () => {
    it('lets a key with any scope read places and the destination, but not write them', async () => {
      const created = await ok(
        'mutation { createApiKey(name: "Hotel Lecoq", scopes: [WRITE_STAYS]) { secret } }',
        {},
        a.admin,
      );
      const key = { 'x-api-key': created.createApiKey.secret };
      const places = await placesOf(key);
      expect(places).toEqual(await placesOf(a.admin));
      expect((await destinationOf(key)).id).toBe(a.destination.id);
      expect(
        (await fails(UPSERT_PLACE, { name: 'Key place', kind: 'OTHER' }, key)).extensions.code,
      ).toBe('FORBIDDEN');
      expect((await fails(UPDATE, { name: 'Key' }, key)).extensions.code).toBe('FORBIDDEN');
    });
  });

  describe('input shape limits (class-validator on the argument classes)', () => {
    it('refuses oversized lists with BAD_USER_INPUT and changes nothing', async () => {
      const before = await destinationOf(a.admin);
      const handles = Array.from({ length: 21 }, (_, i) => `handle${i}`);
      const error = await fails(UPDATE, { twitterHandles: handles }, a.admin);
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/twitterHandles/);
      expect(await destinationOf(a.admin)).toEqual(before);
    });

    it('refuses a place name over 200 characters', async () => {
      const error = await fails(
        'mutation($n: String!) { upsertPlace(name: $n, kind: STREET) { id } }',
        { n: 'x'.repeat(201) },
        a.admin,
      );
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
    });
  });
});
