import { badInput } from '../../common/errors/app-error.js';
import { normalizeText, PhraseMatcher } from '../interests/text-normalizer.js';

export const MAX_BLOCKLIST_ENTRIES = 500;
export const MAX_BLOCKLIST_ENTRY = 100;

/**
 * The destination's blocklist as the office typed it, cleaned: trimmed, each entry a word or a
 * phrase that survives normalisation, duplicates (same normalised form, so "Merde" and "merdé")
 * kept once in their first spelling. Every bad entry is named.
 */
export function cleanBlocklist(words: readonly string[]): string[] {
  if (words.length > MAX_BLOCKLIST_ENTRIES) {
    throw badInput(`at most ${MAX_BLOCKLIST_ENTRIES} blocked words`, { argument: 'words' });
  }
  const invalid: string[] = [];
  const byForm = new Map<string, string>();
  for (const raw of words) {
    const word = raw.trim();
    const form = normalizeText(word);
    if (!form || word.length > MAX_BLOCKLIST_ENTRY) {
      invalid.push(raw);
      continue;
    }
    if (!byForm.has(form)) byForm.set(form, word);
  }
  if (invalid.length) {
    throw badInput(
      `blocked words must have letters or digits and at most ${MAX_BLOCKLIST_ENTRY} characters: ${invalid
        .map((w) => JSON.stringify(w))
        .join(', ')}`,
      { argument: 'words', invalid },
    );
  }
  return [...byForm.values()];
}

/**
 * Does a post contain a blocked word or phrase? Matched on the shared normalisation (case and
 * accents folded, hashtags split into words, whole words with FR/EN plurals), so "#Merde",
 * "MERDÉ" and "merdes" are caught by "merde", and "art" does not catch "party". A hashtag that
 * runs the phrase together in lower case ("#nimportequoi") is caught too.
 */
export function blocklistMatcher(
  words: readonly string[],
): (text: string, hashtags: readonly string[]) => boolean {
  const matcher = new PhraseMatcher<true>();
  for (const word of words) matcher.add(word, true);
  return (text, hashtags) => {
    if (matcher.match(normalizeText(text).split(' ').filter(Boolean)).size) return true;
    return hashtags.some((tag) => matcher.matchHashtag(tag).size > 0);
  };
}
