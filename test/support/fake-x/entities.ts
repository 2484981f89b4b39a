import type { HashtagEntity, MentionEntity, TweetEntities, UrlEntity } from './types.js';

/**
 * Entities computed from a post's text, as X does. Offsets count Unicode code points (not UTF-16
 * units: an emoji counts 1), `end` is exclusive, and `start` points at the `#` / `@` / `h`.
 */

const HASHTAG =
  /(^|[^\p{L}\p{M}\p{N}_&/])[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)/gu;
const MENTION = /(^|[^\p{L}\p{N}_!#$%&*@＠/])[@＠]([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@＠])/gu;
const URL_RE = /(^|[\s(])(https?:\/\/[^\s]+?)(?=[.,!?;:)]*(?:\s|$))/gu;

function codePointOffset(text: string, utf16Index: number): number {
  let n = 0;
  for (let i = 0; i < utf16Index; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < utf16Index) i++;
    n++;
  }
  return n;
}

export function extractEntities(
  text: string,
  userIdOf: (username: string) => string | undefined = () => undefined,
): TweetEntities {
  const hashtags: HashtagEntity[] = [];
  for (const m of text.matchAll(HASHTAG)) {
    const at = m.index! + m[1].length;
    const start = codePointOffset(text, at);
    hashtags.push({ start, end: start + 1 + [...m[2]].length, tag: m[2] });
  }
  const mentions: MentionEntity[] = [];
  for (const m of text.matchAll(MENTION)) {
    const at = m.index! + m[1].length;
    const start = codePointOffset(text, at);
    const id = userIdOf(m[2]);
    mentions.push({ start, end: start + 1 + m[2].length, username: m[2], ...(id ? { id } : {}) });
  }
  const urls: UrlEntity[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const at = m.index! + m[1].length;
    const start = codePointOffset(text, at);
    const url = m[2];
    const display = url.replace(/^https?:\/\//, '');
    urls.push({
      start,
      end: start + [...url].length,
      url,
      expanded_url: url,
      display_url: display.length > 26 ? `${display.slice(0, 25)}…` : display,
    });
  }
  const entities: TweetEntities = {};
  if (hashtags.length) entities.hashtags = hashtags;
  if (mentions.length) entities.mentions = mentions;
  if (urls.length) entities.urls = urls;
  return entities;
}

/**
 * Search tokenisation: X matches keywords against the text split on punctuation, symbols and
 * separators, case-insensitively (so `annecy` matches `#Annecy` and `@annecy`).
 */
export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{M}\p{N}_]+/u)
    .filter(Boolean);
}
