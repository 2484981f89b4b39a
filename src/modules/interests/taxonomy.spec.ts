import { normalizeHashtag } from '../../common/validation.js';
import { TAXONOMY } from './taxonomy.js';
import { normalizeText } from './text-normalizer.js';

describe('seeded taxonomy', () => {
  it('has at least 14 interests with unique, valid slugs', () => {
    expect(TAXONOMY.length).toBeGreaterThanOrEqual(14);
    const slugs = TAXONOMY.map((t) => t.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const slug of slugs) expect(slug).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(slugs).toEqual(
      expect.arrayContaining([
        'gastronomy',
        'wine-drinks',
        'heritage',
        'museums-arts',
        'architecture',
        'nightlife',
        'music-festivals',
        'nature-outdoors',
        'beaches-water',
        'sport',
        'family',
        'shopping-markets',
        'wellbeing',
        'events',
      ]),
    );
  });

  it.each(TAXONOMY.map((t) => [t.slug, t]))(
    '%s has fr and en labels, keywords and hashtags',
    (_, t) => {
      expect(t.labels.fr.trim()).not.toBe('');
      expect(t.labels.en.trim()).not.toBe('');
      expect(t.keywords.length).toBeGreaterThanOrEqual(10);
      expect(t.hashtags.length).toBeGreaterThanOrEqual(3);
      // Stored as upsertInterest would store them: trimmed lower-case keywords, valid hashtags.
      for (const k of t.keywords) {
        expect(k).toBe(k.trim().toLowerCase());
        expect(normalizeText(k)).not.toBe('');
      }
      for (const h of t.hashtags) expect(normalizeHashtag(h)).toBe(h);
      // No keyword twice once normalised, no hashtag twice.
      const normalised = t.keywords.map(normalizeText);
      expect(new Set(normalised).size).toBe(normalised.length);
      expect(new Set(t.hashtags.map((h) => h.toLowerCase())).size).toBe(t.hashtags.length);
    },
  );
});
