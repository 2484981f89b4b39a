import type { DataSource } from 'typeorm';
import { EvidenceKind } from './interest-evidence.entity.js';
import { InterestInferenceService, type InferenceInput } from './interest-inference.service.js';
import { DEFAULT_EVIDENCE_WEIGHTS } from './interest-scores.service.js';
import { TAXONOMY } from './taxonomy.js';

const PLACE_HALLES = '6d1c1c1e-0000-4000-8000-000000000001';
const PLACE_CHAMPS = '6d1c1c1e-0000-4000-8000-000000000002';
const PLACE_OTHER_DESTINATION = '6d1c1c1e-0000-4000-8000-000000000003';

/** Places of the destination with their interests (what place_interests holds). */
const PLACES = [
  {
    place_id: PLACE_HALLES,
    handle: 'hallescentrales',
    interests: ['gastronomy', 'shopping-markets'],
  },
  { place_id: PLACE_CHAMPS, handle: 'champslibres', interests: ['museums-arts'] },
];

/** A fake data source answering the two queries of the service from the seeded taxonomy. */
function fakeDataSource() {
  const queries: { sql: string; params: unknown[] }[] = [];
  const query = async (sql: string, params: unknown[]) => {
    queries.push({ sql, params });
    if (sql.includes('FROM interests')) {
      // The id of each interest is its slug, to keep expectations readable.
      return TAXONOMY.map((t) => ({ id: t.slug, ...t }));
    }
    const [, ids, handles] = params as [string, string[], string[]];
    return PLACES.filter((p) => ids.includes(p.place_id) || handles.includes(p.handle)).flatMap(
      (p) =>
        p.interests.map((interest_id) => ({ place_id: p.place_id, handle: p.handle, interest_id })),
    );
  };
  return { dataSource: { manager: { query } } as unknown as DataSource, queries };
}

/** The evidence as "KIND slug" strings, in the service's order. */
async function infer(input: InferenceInput): Promise<string[]> {
  const service = new InterestInferenceService(fakeDataSource().dataSource);
  const evidence = await service.infer('destination', input);
  for (const e of evidence) expect(e.weight).toBe(DEFAULT_EVIDENCE_WEIGHTS[e.kind]);
  return evidence.map((e) => `${e.kind} ${e.interestId}`);
}

describe('InterestInferenceService', () => {
  describe('French', () => {
    it('finds keywords with accents and plurals, and camel-case hashtags', async () => {
      expect(
        await infer({
          text: 'Superbe balade sur les remparts puis des galettes au marché 😍 #Rennes #GaletteSaucisse',
        }),
      ).toEqual([
        'HASHTAG gastronomy',
        'KEYWORD gastronomy',
        'KEYWORD heritage',
        'KEYWORD nature-outdoors',
        'KEYWORD shopping-markets',
      ]);
    });

    it('matches text written without accents and in capitals', async () => {
      expect(await infer({ text: 'LES MUSEES ET LA CATHEDRALE, QUELLE JOURNEE' })).toEqual([
        'KEYWORD heritage',
        'KEYWORD museums-arts',
      ]);
    });

    it('matches plurals in -aux and -x, and elided articles', async () => {
      expect(await infer({ text: "Les châteaux, l'océan et les jeux d'enfants" })).toEqual([
        'KEYWORD beaches-water',
        'KEYWORD family',
        'KEYWORD heritage',
      ]);
    });

    it('splits camel-case hashtags to find keywords inside them', async () => {
      expect(await infer({ hashtags: ['#MuséeDesBeauxArts', 'FêteDeLaMusique'] })).toEqual([
        'HASHTAG events', // fête
        'HASHTAG museums-arts',
        'HASHTAG music-festivals',
      ]);
    });

    it('finds the words of an interest’s camel-case hashtags in text', async () => {
      // "PartyTime" is a nightlife hashtag; neither "party" nor "time" is a keyword.
      expect(await infer({ text: 'Party time à Rennes' })).toEqual(['KEYWORD nightlife']);
      expect(await infer({ text: 'Party on' })).toEqual([]);
      expect(await infer({ hashtags: ['#partytime'] })).toEqual(['HASHTAG nightlife']);
    });

    it('matches a hashtag written in one lower-case run against a multi-word keyword', async () => {
      expect(await infer({ hashtags: ['fetedelamusique', '#galettesaucisse'] })).toEqual([
        'HASHTAG gastronomy',
        'HASHTAG music-festivals',
      ]);
    });
  });

  describe('English', () => {
    it('finds keywords with plurals (-s, -es, -ies) and hashtags', async () => {
      expect(
        await infer({
          text: 'Two amazing MUSEUMS, sunny beaches and the best craft beers in town! #StreetArt #WineLover',
        }),
      ).toEqual([
        'HASHTAG museums-arts',
        'HASHTAG wine-drinks',
        'KEYWORD beaches-water',
        'KEYWORD museums-arts',
        'KEYWORD wine-drinks',
      ]);
      expect(await infer({ text: 'Art galleries and flea markets' })).toEqual([
        'KEYWORD museums-arts',
        'KEYWORD shopping-markets',
      ]);
    });

    it('matches on word boundaries only: no "art" inside "party" or "departure"', async () => {
      expect(await infer({ text: 'Best party ever, right before our departure' })).toEqual([]);
      expect(await infer({ text: 'We win! Barbecue at the carpark' })).toEqual([]);
    });

    it('matches multi-word phrases only when the words follow each other', async () => {
      expect(await infer({ text: 'Natural light and wine' })).toEqual(['KEYWORD wine-drinks']);
      expect(await infer({ text: 'Street, then art' })).toEqual(['KEYWORD museums-arts']);
    });
  });

  describe('hashtags, mentions and links in the text', () => {
    it('counts a hashtag written in the text as a hashtag, not also as a keyword', async () => {
      expect(await infer({ text: 'Enfin la #Plage' })).toEqual(['HASHTAG beaches-water']);
    });

    it('merges the hashtags given with those of the text, once per interest and kind', async () => {
      expect(
        await infer({ text: 'Vive la #Plage et la mer', hashtags: ['plage', '#Beach', 'Surf'] }),
      ).toEqual(['HASHTAG beaches-water', 'KEYWORD beaches-water']);
    });

    it('ignores links', async () => {
      expect(await infer({ text: 'Voir https://example.org/musee/plage?art=1' })).toEqual([]);
    });
  });

  describe('places', () => {
    it('uses the interests of the places mentioned, by handle (given or in the text) or id', async () => {
      expect(await infer({ placeHandles: ['@HallesCentrales'] })).toEqual([
        'PLACE gastronomy',
        'PLACE shopping-markets',
      ]);
      expect(await infer({ text: 'Merci @ChampsLibres !' })).toEqual(['PLACE museums-arts']);
      expect(await infer({ placeIds: [PLACE_CHAMPS.toUpperCase()] })).toEqual([
        'PLACE museums-arts',
      ]);
    });

    it('ignores unknown handles, malformed ids and places of other destinations', async () => {
      expect(
        await infer({
          placeHandles: ['nobody', 'not a handle!'],
          placeIds: ['not-an-id', PLACE_OTHER_DESTINATION],
        }),
      ).toEqual([]);
    });

    it('combines the three kinds', async () => {
      expect(
        await infer({
          text: 'Marché du samedi aux @HallesCentrales',
          hashtags: ['Foodie'],
        }),
      ).toEqual([
        'HASHTAG gastronomy',
        'KEYWORD shopping-markets',
        'PLACE gastronomy',
        'PLACE shopping-markets',
      ]);
    });
  });

  it('answers nothing for an empty input, without reading places', async () => {
    const { dataSource, queries } = fakeDataSource();
    const service = new InterestInferenceService(dataSource);
    expect(await service.infer('d', {})).toEqual([]);
    expect(await service.infer('d', { text: '', hashtags: [] })).toEqual([]);
    expect(queries.map((q) => q.sql.includes('FROM places'))).toEqual([false, false]);
  });

  it('reads the taxonomy and the places once for a batch, filtered by destination', async () => {
    const { dataSource, queries } = fakeDataSource();
    const service = new InterestInferenceService(dataSource);
    const results = await service.inferMany('dest-1', [
      { text: 'Les musées' },
      { placeHandles: ['champslibres'] },
      { hashtags: ['Surf'] },
    ]);
    expect(results.map((r) => r.map((e) => `${e.kind} ${e.interestId}`))).toEqual([
      ['KEYWORD museums-arts'],
      ['PLACE museums-arts'],
      ['HASHTAG beaches-water'],
    ]);
    expect(queries).toHaveLength(2);
    expect(queries.every((q) => q.params[0] === 'dest-1')).toBe(true);
    expect(results[0][0]).toEqual({
      interestId: 'museums-arts',
      kind: EvidenceKind.KEYWORD,
      weight: 0.4,
    });
  });
});
