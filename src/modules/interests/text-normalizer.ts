/**
 * The one text normalisation of Escale: everything that matches words against text (interest
 * inference, hashtag matching, later segment search) goes through these functions, so that a
 * keyword typed by an office ("Musée", "galette saucisse") and a post ("#GaletteSaucisse",
 * "les musées") meet on the same form.
 *
 * - fold: lower case, diacritics removed (NFKD + strip combining marks), ligatures spelled out
 *   (œ → oe, æ → ae, ß → ss).
 * - tokens: runs of letters and digits; everything else (spaces, punctuation, apostrophes,
 *   hyphens) separates words, so "l'art" is "l art" and "kouign-amann" is "kouign amann".
 * - hashtags: split on '_', on camel case and between letters and digits before folding
 *   (#GaletteSaucisse → "galette saucisse", #Rennes2026 → "rennes 2026").
 * - phrases match whole tokens only (no "art" inside "party"), with light FR/EN plural handling
 *   (see pluralVariants).
 */

const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l' };
const LIGATURE_RE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');

/** Lower case, no diacritics, ligatures spelled out. Keeps punctuation (see tokenize). */
export function fold(text: string): string {
  return text
    .toLowerCase()
    .replace(LIGATURE_RE, (c) => LIGATURES[c])
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '');
}

/** Folded words of `text` (letters and digits of any script), in order. */
export function tokenize(text: string): string[] {
  return fold(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

const CAMEL_BOUNDARIES = [
  /(?<=\p{Ll}\p{M}*)(?=\p{Lu})/gu, // galetteSaucisse → galette Saucisse
  /(?<=\p{Lu}\p{M}*)(?=\p{Lu}\p{M}*\p{Ll})/gu, // BZHFood → BZH Food
  /(?<=\p{L}\p{M}*)(?=\p{N})/gu, // Rennes2026 → Rennes 2026
  /(?<=\p{N})(?=\p{L})/gu, // 2026Rennes → 2026 Rennes
];

/** The words of a hashtag, folded and space-separated: "#GaletteSaucisse" → "galette saucisse". */
export function splitHashtag(tag: string): string {
  let body = tag
    .normalize('NFC')
    .trim()
    .replace(/^[#＃]+/, '');
  body = body.replace(/_+/g, ' ');
  for (const boundary of CAMEL_BOUNDARIES) body = body.replace(boundary, ' ');
  return tokenize(body).join(' ');
}

/** A hashtag's words run together ("#Galette_Saucisse" → "galettesaucisse"): its identity. */
export function compactHashtag(tag: string): string {
  return splitHashtag(tag).replace(/ /g, '');
}

// A hashtag or mention starts a word: "page#top" and "a@b.org" are neither.
const HASHTAG_RE = /(^|[^\p{L}\p{M}\p{N}_&])[#＃]([\p{L}\p{M}\p{N}_]+)/gu;
const MENTION_RE = /(^|[^\p{L}\p{M}\p{N}_@])@([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@])/gu;
const URL_RE = /\b(?:https?:\/\/|www\.)\S+/giu;

/** Hashtags written in `text`, without '#', as written ("J'adore #GaletteSaucisse" → ["GaletteSaucisse"]). */
export function extractHashtags(text: string): string[] {
  return [...text.matchAll(HASHTAG_RE)].map((m) => m[2]).filter((t) => !/^\d+$/.test(t));
}

/** @handles written in `text`, without '@'. */
export function extractMentions(text: string): string[] {
  return [...text.replace(URL_RE, ' ').matchAll(MENTION_RE)].map((m) => m[2]);
}

/** Folded text with its hashtags split into words: "Vive #GaletteSaucisse !" → "vive galette saucisse". */
export function normalizeText(text: string): string {
  return tokenize(
    text.replace(HASHTAG_RE, (_, before: string, tag: string) => `${before} ${splitHashtag(tag)} `),
  ).join(' ');
}

/** A post taken apart (analyzePost). */
export interface PostAnalysis {
  words: string[];
  hashtags: string[];
  mentions: string[];
}

/**
 * A post taken apart: its hashtags, its mentions, and the words of the rest (URLs, hashtags and
 * mentions removed, so that a hashtag counts as a hashtag and not also as words).
 */
export function analyzePost(text: string): PostAnalysis {
  const hashtags = extractHashtags(text);
  const mentions = extractMentions(text);
  const rest = text.replace(URL_RE, ' ').replace(HASHTAG_RE, '$1 ').replace(MENTION_RE, '$1 ');
  return { words: tokenize(rest), hashtags, mentions };
}

const LETTERS = /^\p{L}+$/u;
const VOWEL = /[aeiouy]/;

/**
 * Singular forms a folded word may be the plural of (FR and EN, light rules, no dictionary):
 * musees → musee, markets → market, beaches → beach, galleries → gallery, chateaux → chateau,
 * jeux → jeu, animaux → animal. Words of 3 letters or fewer are left alone ("bus", "vis").
 */
function singulars(word: string): string[] {
  if (word.length <= 3 || !LETTERS.test(word)) return [];
  const out: string[] = [];
  if (word.endsWith('s') && !word.endsWith('ss')) {
    out.push(word.slice(0, -1));
    if (word.endsWith('ies') && word.length > 4) out.push(`${word.slice(0, -3)}y`);
    if (/(?:ch|sh|ss|x|z)es$/.test(word)) out.push(word.slice(0, -2));
  }
  if (word.endsWith('x') && /(?:au|eu|ou)x$/.test(word)) {
    out.push(word.slice(0, -1));
    if (word.endsWith('aux') && !word.endsWith('eaux')) out.push(`${word.slice(0, -3)}al`);
  }
  return out;
}

/** Plural forms of a folded singular word (FR and EN): the word plus s, x, es, ies, aux. */
function plurals(word: string): string[] {
  if (word.length < 3 || !LETTERS.test(word)) return [];
  const out = [`${word}s`];
  if (/(?:au|eu|ou)$/.test(word)) out.push(`${word}x`);
  if (/(?:ch|sh|s|x|z)$/.test(word)) out.push(`${word}es`);
  if (word.endsWith('y') && word.length > 3 && !VOWEL.test(word.at(-2)!))
    out.push(`${word.slice(0, -1)}ies`);
  if (word.endsWith('al')) out.push(`${word.slice(0, -2)}aux`);
  return out;
}

/**
 * Every form a folded keyword word matches in text: itself, its plurals, and — when the keyword
 * is itself written in the plural — its singulars and their plurals. "musee" → musee, musees;
 * "market" → market, markets; "beach" → beach, beaches; "gallery" → gallery, galleries.
 */
export function pluralVariants(word: string): string[] {
  const forms = new Set([word]);
  for (const base of [word, ...singulars(word)]) {
    forms.add(base);
    for (const plural of plurals(base)) forms.add(plural);
  }
  return [...forms];
}

/**
 * Finds phrases (one or more words) in tokenised text, on word boundaries and with plural
 * variants of every word of the phrase. Build once per taxonomy load, match many texts.
 */
export class PhraseMatcher<T> {
  private readonly byFirstWord = new Map<string, Array<{ rest: Set<string>[]; value: T }>>();
  private readonly compact = new Map<string, Set<T>>();

  /** Adds a phrase ("galette saucisse", "Musée", "#StreetArt") that yields `value` when found. */
  add(phrase: string, value: T): void {
    const words = normalizeText(phrase).split(' ').filter(Boolean);
    if (!words.length) return;
    const [first, ...rest] = words;
    const entry = { rest: rest.map((w) => new Set(pluralVariants(w))), value };
    for (const form of pluralVariants(first)) {
      const list = this.byFirstWord.get(form);
      if (list) list.push(entry);
      else this.byFirstWord.set(form, [entry]);
    }
    // A hashtag in one lower-case run ("#galettesaucisse") cannot be split: match it whole.
    const head = words.slice(0, -1).join('');
    for (const last of pluralVariants(words.at(-1)!)) {
      const key = head + last;
      const set = this.compact.get(key);
      if (set) set.add(value);
      else this.compact.set(key, new Set([value]));
    }
  }

  /** The values of every phrase found in `tokens` (as returned by tokenize / normalizeText). */
  match(tokens: readonly string[]): Set<T> {
    const found = new Set<T>();
    for (let i = 0; i < tokens.length; i++) {
      for (const { rest, value } of this.byFirstWord.get(tokens[i]) ?? []) {
        if (found.has(value) || i + rest.length >= tokens.length) continue;
        if (rest.every((forms, j) => forms.has(tokens[i + 1 + j]))) found.add(value);
      }
    }
    return found;
  }

  /** The values matched by a hashtag: its words contain a phrase, or it is a phrase run together. */
  matchHashtag(tag: string): Set<T> {
    const words = splitHashtag(tag);
    const found = this.match(words.split(' ').filter(Boolean));
    for (const value of this.compact.get(words.replace(/ /g, '')) ?? []) found.add(value);
    return found;
  }
}

/** Does `text` contain `phrase` on word boundaries (with plural variants)? */
export function containsPhrase(text: string, phrase: string): boolean {
  const matcher = new PhraseMatcher<true>();
  matcher.add(phrase, true);
  return matcher.match(normalizeText(text).split(' ').filter(Boolean)).size > 0;
}
