import {
  analyzePost,
  compactHashtag,
  containsPhrase,
  extractHashtags,
  extractMentions,
  fold,
  normalizeText,
  PhraseMatcher,
  pluralVariants,
  splitHashtag,
  tokenize,
} from './text-normalizer.js';

describe('text normalizer', () => {
  describe('fold', () => {
    it.each([
      ['Musée des Beaux-Arts', 'musee des beaux-arts'],
      ['CRÊPERIE', 'creperie'],
      ['Œuvre, bœuf, Ægir', 'oeuvre, boeuf, aegir'],
      ['Straße', 'strasse'],
      ['ﬁnistère', 'finistere'],
      ['Ça dépend', 'ca depend'],
      // Decomposed input (e + combining acute) folds like composed input.
      ['Cafe\u0301', 'cafe'],
    ])('%s → %s', (input, expected) => {
      expect(fold(input)).toBe(expected);
    });
  });

  describe('tokenize', () => {
    it('splits on anything that is not a letter or a digit, apostrophes and hyphens included', () => {
      expect(tokenize("L'art du kouign-amann, à 2 € !")).toEqual([
        'l',
        'art',
        'du',
        'kouign',
        'amann',
        'a',
        '2',
      ]);
    });

    it('keeps letters of other scripts', () => {
      expect(tokenize('Привет, 東京!')).toEqual(['привет', '東京']);
    });

    it('answers nothing for empty or punctuation-only text', () => {
      expect(tokenize('')).toEqual([]);
      expect(tokenize(' -- !! ')).toEqual([]);
    });
  });

  describe('splitHashtag', () => {
    it.each([
      ['#GaletteSaucisse', 'galette saucisse'],
      ['#Rennes2026', 'rennes 2026'],
      ['#2026Rennes', '2026 rennes'],
      ['#MuséeDesBeauxArts', 'musee des beaux arts'],
      ['#FêteDeLaMusique', 'fete de la musique'],
      ['#BZHFood', 'bzh food'],
      ['#street_art', 'street art'],
      ['#galettesaucisse', 'galettesaucisse'],
      ['GaletteSaucisse', 'galette saucisse'],
      ['#ŒnoTourisme', 'oeno tourisme'],
    ])('%s → %s', (input, expected) => {
      expect(splitHashtag(input)).toBe(expected);
    });

    it('compacts a hashtag to its words run together', () => {
      expect(compactHashtag('#Galette_Saucisse')).toBe('galettesaucisse');
      expect(compactHashtag('#GALETTESaucisse')).toBe('galettesaucisse');
    });
  });

  describe('hashtags and mentions in text', () => {
    it('finds hashtags that start a word, not fragments of URLs or words', () => {
      expect(
        extractHashtags(
          '#Rennes J’adore #GaletteSaucisse! voir https://x.org/page#top et C#, #2026',
        ),
      ).toEqual(['Rennes', 'GaletteSaucisse']);
    });

    it('finds @handles, not e-mail addresses', () => {
      expect(
        extractMentions('Merci @ChampsLibres et @Rennes_Ville ! écrivez à info@rennes.fr'),
      ).toEqual(['ChampsLibres', 'Rennes_Ville']);
    });

    it('normalizeText splits hashtags written in the text', () => {
      expect(normalizeText('Vive la #GaletteSaucisse au #MarchéDesLices !')).toBe(
        'vive la galette saucisse au marche des lices',
      );
    });

    it('analyzePost separates words from hashtags, mentions and links', () => {
      expect(
        analyzePost('Superbe expo au @MuseeBretagne #ArtContemporain https://musee.example/expo'),
      ).toEqual({
        words: ['superbe', 'expo', 'au'],
        hashtags: ['ArtContemporain'],
        mentions: ['MuseeBretagne'],
      });
    });
  });

  describe('pluralVariants', () => {
    it.each([
      ['musee', 'musees'],
      ['market', 'markets'],
      ['beach', 'beaches'],
      ['gallery', 'galleries'],
      ['chateau', 'chateaux'],
      ['jeu', 'jeux'],
      ['festival', 'festivaux'],
      ['creperie', 'creperies'],
      ['art', 'arts'],
    ])('%s matches %s', (singular, plural) => {
      expect(pluralVariants(singular)).toContain(plural);
    });

    it.each([
      ['musees', 'musee'],
      ['markets', 'market'],
      ['beaches', 'beach'],
      ['galleries', 'gallery'],
      ['chateaux', 'chateau'],
      ['animaux', 'animal'],
    ])('a keyword written in the plural (%s) matches the singular %s', (plural, singular) => {
      expect(pluralVariants(plural)).toContain(singular);
    });

    it('does not invent unrelated words', () => {
      expect(pluralVariants('wine')).not.toContain('win');
      expect(pluralVariants('marche')).not.toContain('march');
      expect(pluralVariants('bus')).toEqual(expect.arrayContaining(['bus', 'buses']));
      expect(pluralVariants('bus')).not.toContain('bu');
      expect(pluralVariants('2026')).toEqual(['2026']);
    });
  });

  describe('phrases', () => {
    it.each([
      ['J’adore les musées de Rennes', 'musée', true],
      ['Two great MARKETS this morning', 'market', true],
      ['Visite du Musée des Beaux-Arts', 'musée des beaux-arts', true],
      ['Visite des musées des beaux arts', 'Musée des Beaux-Arts', true],
      ['Best party ever', 'art', false],
      ['Un beau départ', 'art', false],
      ['Street-art tour', 'street art', true],
      ['a street and some art', 'street art', false],
      ['Vive la #GaletteSaucisse', 'galette saucisse', true],
      ['galette', 'galette saucisse', false],
      ['', 'art', false],
    ])('"%s" contains "%s": %s', (text, phrase, expected) => {
      expect(containsPhrase(text, phrase)).toBe(expected);
    });

    it('a matcher answers every value found, once', () => {
      const matcher = new PhraseMatcher<string>();
      matcher.add('galette saucisse', 'food');
      matcher.add('crêpe', 'food');
      matcher.add('musée', 'arts');
      matcher.add('street art', 'arts');
      matcher.add('bar', 'night');
      expect(
        matcher.match(tokenize('Crêpes, galette saucisse et crêpe encore, puis le musée')),
      ).toEqual(new Set(['food', 'arts']));
      expect(matcher.match(tokenize('barbecue'))).toEqual(new Set());
      expect(matcher.match(tokenize('galette'))).toEqual(new Set());
    });

    it('matches hashtags by their words, or whole when written in one lower-case run', () => {
      const matcher = new PhraseMatcher<string>();
      matcher.add('galette saucisse', 'food');
      matcher.add('GaletteSaucisse', 'food-tag');
      matcher.add('street art', 'arts');
      expect(matcher.matchHashtag('#GaletteSaucisse')).toEqual(new Set(['food', 'food-tag']));
      expect(matcher.matchHashtag('#galettesaucisse')).toEqual(new Set(['food', 'food-tag']));
      expect(matcher.matchHashtag('#galettessaucisses')).toEqual(new Set());
      expect(matcher.matchHashtag('#RennesStreetArt2026')).toEqual(new Set(['arts']));
      expect(matcher.matchHashtag('#Party')).toEqual(new Set());
    });
  });
});
