import { AppError } from '../../common/errors/app-error.js';
import { blocklistMatcher, cleanBlocklist, MAX_BLOCKLIST_ENTRIES } from './wall-blocklist.js';

describe('wall blocklist', () => {
  describe('matching', () => {
    const blocked = blocklistMatcher(['Merde', 'arnaque', 'pas terrible', 'art']);
    it.each([
      ['Quelle MERDÉ ce parking', []],
      ['Deux arnaques en une soirée', []],
      ["C'était pas terrible du tout", []],
      ['Soirée #PasTerrible', ['PasTerrible']],
      ['Soirée', ['pasterrible']],
      ['#Merde alors', ['Merde']],
    ])('rejects %j (hashtags %j)', (text, hashtags) => {
      expect(blocked(text, hashtags)).toBe(true);
    });
    it.each([
      ['Superbe party au bord du lac', []],
      ['Les artistes du festival', []],
      ['Très bien, pas mal du tout', []],
      ['merdeux', []],
    ])('keeps %j (whole words only)', (text, hashtags) => {
      expect(blocked(text, hashtags)).toBe(false);
    });
    it('an empty list blocks nothing', () => {
      expect(blocklistMatcher([])('merde', ['merde'])).toBe(false);
    });
  });

  describe('cleaning', () => {
    it('trims, keeps the first spelling of each normalised form', () => {
      expect(
        cleanBlocklist([' Merde ', 'merdé', 'MERDE', 'pas  terrible', 'Pas terrible']),
      ).toEqual(['Merde', 'pas  terrible']);
    });
    it('names every entry without letters or too long, and refuses too many', () => {
      let error: unknown;
      try {
        cleanBlocklist(['ok', '  ', '!!!', 'x'.repeat(101)]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).details).toEqual({
        argument: 'words',
        invalid: ['  ', '!!!', 'x'.repeat(101)],
      });
      expect(() =>
        cleanBlocklist(Array.from({ length: MAX_BLOCKLIST_ENTRIES + 1 }, (_, i) => `w${i}`)),
      ).toThrow(AppError);
    });
  });
});
