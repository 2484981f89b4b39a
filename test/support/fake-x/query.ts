import { tokenize } from './entities.js';

/**
 * The subset of the X search query language the fake understands, with X's precedence: terms
 * side by side are ANDed, `OR` (upper case) binds looser than AND, `-` negates a term or a group,
 * parentheses group. Operators: keyword, "exact phrase", #hashtag, @mention, from:, to:,
 * retweets_of:, conversation_id:, url:, lang:, is:retweet|reply|quote|verified,
 * has:hashtags|mentions|links|geo|media. Anything else is refused with a 400, as X does.
 */

export interface Searchable {
  id: string;
  authorUsername: string; // lower case
  authorVerified: boolean;
  tokens: string[]; // lower case, tokenised text (for a retweet: of "RT @x: <full original>")
  hashtags: Set<string>; // lower case, without '#'
  mentions: Set<string>; // lower case usernames
  urls: string[]; // lower case expanded urls
  lang: string;
  isRetweet: boolean;
  isReply: boolean;
  isQuote: boolean;
  hasGeo: boolean;
  conversationId: string;
  inReplyToUsername?: string; // lower case
  retweetOfUsername?: string; // lower case
}

type Node =
  | { kind: 'and'; children: Node[] }
  | { kind: 'or'; children: Node[] }
  | { kind: 'not'; child: Node }
  | { kind: 'term'; test: (s: Searchable) => boolean; standalone: boolean };

export class QueryError extends Error {}

type Token =
  | { t: '(' | ')' | 'OR' | '-'; pos: number }
  | { t: 'word'; v: string; pos: number }
  | { t: 'phrase'; v: string; pos: number };

function lex(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c, pos: i + 1 });
      i++;
    } else if (c === '"') {
      const end = q.indexOf('"', i + 1);
      if (end < 0) throw new QueryError(`Unterminated quoted phrase (at position ${i + 1})`);
      out.push({ t: 'phrase', v: q.slice(i + 1, end), pos: i + 1 });
      i = end + 1;
    } else if (c === '-' && i + 1 < q.length && !/\s/.test(q[i + 1])) {
      out.push({ t: '-', pos: i + 1 });
      i++;
    } else {
      let j = i;
      while (j < q.length && !/[\s()"]/.test(q[j])) j++;
      const v = q.slice(i, j);
      out.push(v === 'OR' ? { t: 'OR', pos: i + 1 } : { t: 'word', v, pos: i + 1 });
      i = j;
    }
  }
  return out;
}

function containsSequence(haystack: string[], needle: string[]): boolean {
  if (needle.length === 0) return false;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

function term(word: string, pos: number): Node {
  const lower = word.toLowerCase();
  const standalone = (test: (s: Searchable) => boolean): Node => ({
    kind: 'term',
    test,
    standalone: true,
  });
  const conjunctionOnly = (test: (s: Searchable) => boolean): Node => ({
    kind: 'term',
    test,
    standalone: false,
  });
  if (lower.startsWith('#') || lower.startsWith('＃')) {
    const tag = lower.slice(1);
    if (!tag) throw new QueryError(`Empty hashtag (at position ${pos})`);
    return standalone((s) => s.hashtags.has(tag));
  }
  if (lower.startsWith('@')) {
    const handle = lower.slice(1);
    if (!handle) throw new QueryError(`Empty mention (at position ${pos})`);
    return standalone((s) => s.mentions.has(handle));
  }
  const colon = lower.indexOf(':');
  if (colon > 0 && !lower.startsWith('http')) {
    const op = lower.slice(0, colon);
    const arg = lower.slice(colon + 1).replace(/^@/, '');
    if (!arg) throw new QueryError(`Operator '${op}:' needs a value (at position ${pos})`);
    switch (op) {
      case 'from':
        return standalone((s) => s.authorUsername === arg);
      case 'to':
        return standalone((s) => s.inReplyToUsername === arg);
      case 'retweets_of':
        return standalone((s) => s.retweetOfUsername === arg);
      case 'conversation_id':
        return standalone((s) => s.conversationId === arg);
      case 'url':
        return standalone((s) => s.urls.some((u) => u.includes(arg)));
      case 'lang':
        return conjunctionOnly((s) => s.lang === arg);
      case 'is':
        switch (arg) {
          case 'retweet':
            return conjunctionOnly((s) => s.isRetweet);
          case 'reply':
            return conjunctionOnly((s) => s.isReply);
          case 'quote':
            return conjunctionOnly((s) => s.isQuote);
          case 'verified':
            return conjunctionOnly((s) => s.authorVerified);
        }
        break;
      case 'has':
        switch (arg) {
          case 'hashtags':
            return conjunctionOnly((s) => s.hashtags.size > 0);
          case 'mentions':
            return conjunctionOnly((s) => s.mentions.size > 0);
          case 'links':
            return conjunctionOnly((s) => s.urls.length > 0);
          case 'geo':
            return conjunctionOnly((s) => s.hasGeo);
          case 'media':
            return conjunctionOnly(() => false);
        }
        break;
    }
    throw new QueryError(
      `Reference to invalid operator '${word}'. Operator is not available in current product or product packaging. (at position ${pos})`,
    );
  }
  const words = tokenize(word);
  if (words.length === 0) throw new QueryError(`Invalid term '${word}' (at position ${pos})`);
  return standalone((s) => containsSequence(s.tokens, words));
}

function parse(q: string): Node {
  const tokens = lex(q);
  let i = 0;
  const orExpr = (): Node => {
    const children = [andExpr()];
    while (tokens[i]?.t === 'OR') {
      i++;
      children.push(andExpr());
    }
    return children.length === 1 ? children[0] : { kind: 'or', children };
  };
  const andExpr = (): Node => {
    const children: Node[] = [];
    while (i < tokens.length && tokens[i].t !== ')' && tokens[i].t !== 'OR') children.push(unary());
    if (children.length === 0) {
      const at = tokens[i]?.pos ?? q.length + 1;
      throw new QueryError(`No term (at position ${at})`);
    }
    return children.length === 1 ? children[0] : { kind: 'and', children };
  };
  const unary = (): Node => {
    const tok = tokens[i];
    if (tok.t === '-') {
      i++;
      if (i >= tokens.length || tokens[i].t === ')' || tokens[i].t === 'OR')
        throw new QueryError(`Dangling negation (at position ${tok.pos})`);
      return { kind: 'not', child: atom() };
    }
    return atom();
  };
  const atom = (): Node => {
    const tok = tokens[i++];
    if (tok.t === '(') {
      const inner = orExpr();
      if (tokens[i]?.t !== ')')
        throw new QueryError(`Missing closing parenthesis (at position ${tok.pos})`);
      i++;
      return inner;
    }
    if (tok.t === 'phrase') {
      const words = tokenize(tok.v);
      if (words.length === 0) throw new QueryError(`Empty phrase (at position ${tok.pos})`);
      return { kind: 'term', test: (s) => containsSequence(s.tokens, words), standalone: true };
    }
    if (tok.t === 'word') return term(tok.v, tok.pos);
    throw new QueryError(`Unexpected '${tok.t}' (at position ${tok.pos})`);
  };
  const root = orExpr();
  if (i < tokens.length)
    throw new QueryError(`Unexpected '${tokens[i].t}' (at position ${tokens[i].pos})`);
  return root;
}

/** True when every way of satisfying the node needs a positive standalone term. */
function anchored(node: Node): boolean {
  switch (node.kind) {
    case 'term':
      return node.standalone;
    case 'not':
      return false;
    case 'and':
      return node.children.some(anchored);
    case 'or':
      return node.children.every(anchored);
  }
}

function evaluate(node: Node, s: Searchable): boolean {
  switch (node.kind) {
    case 'term':
      return node.test(s);
    case 'not':
      return !evaluate(node.child, s);
    case 'and':
      return node.children.every((c) => evaluate(c, s));
    case 'or':
      return node.children.some((c) => evaluate(c, s));
  }
}

export const MAX_QUERY_LENGTH = 512;

/** Compiles a query; throws QueryError with X-like messages when X would refuse it. */
export function compileQuery(q: string): (s: Searchable) => boolean {
  if (q.length > MAX_QUERY_LENGTH)
    throw new QueryError(`Rule length exceeds the max allowed (${MAX_QUERY_LENGTH})`);
  const root = parse(q);
  if (!anchored(root))
    throw new QueryError(
      'Rules must contain a non-negation term and is:/has:/lang: operators cannot be used alone (at position 1)',
    );
  return (s) => evaluate(root, s);
}
