import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isUuid, normalizeHandle } from '../../common/validation.js';
import { DEFAULT_EVIDENCE_WEIGHTS } from './interest-scores.service.js';
import { EvidenceKind } from './interest-evidence.entity.js';
import { analyzePost, PhraseMatcher, splitHashtag, type PostAnalysis } from './text-normalizer.js';

export interface InferenceInput {
  /** The post's text; hashtags, @mentions and links written in it are recognised too. */
  text?: string | null;
  /** Hashtags (with or without '#'), e.g. the post's entities. */
  hashtags?: string[] | null;
  /** X handles (with or without '@') of places mentioned. */
  placeHandles?: string[] | null;
  /** Ids of places the post is about. */
  placeIds?: string[] | null;
  /** `analyzePost(text)`, when the caller worked it out already (ahead of a transaction). */
  analysis?: PostAnalysis | null;
}

export interface InferredEvidence {
  interestId: string;
  kind: EvidenceKind;
  weight: number;
}

const KIND_ORDER = [EvidenceKind.HASHTAG, EvidenceKind.KEYWORD, EvidenceKind.PLACE];

/** What inference matches posts against: a destination's interests and its places' interests. */
export interface Taxonomy {
  interests: { id: string; slug: string; keywords: string[]; hashtags: string[] }[];
  places: { placeId: string; handle: string | null; interestId: string }[];
}

/**
 * Select-list columns `taxonomy_interests` and `taxonomy_places` (JSON) that read a Taxonomy of
 * the destination named by the SQL expression `destination`, with every link of its places.
 */
export const TAXONOMY_COLUMNS = (destination: string) => `
  (SELECT coalesce(json_agg(json_build_object('id', i.id, 'slug', i.slug, 'keywords', i.keywords,
                                              'hashtags', i.hashtags)), '[]')
     FROM interests i WHERE i.destination_id = ${destination}) AS taxonomy_interests,
  (SELECT coalesce(json_agg(json_build_object('placeId', p.id, 'handle', lower(p.twitter_handle),
                                              'interestId', pi.interest_id)), '[]')
     FROM places p JOIN place_interests pi ON pi.place_id = p.id
    WHERE p.destination_id = ${destination}) AS taxonomy_places`;

interface AnalyzedPost {
  words: string[];
  hashtags: string[];
  handles: Set<string>;
  placeIds: Set<string>;
}

function analyze(input: InferenceInput): AnalyzedPost {
  const post = input.analysis ?? analyzePost(input.text ?? '');
  const handles = [...(input.placeHandles ?? []), ...post.mentions]
    .map((h) => normalizeHandle(h)?.toLowerCase())
    .filter((h): h is string => !!h);
  return {
    words: post.words,
    hashtags: [...new Set([...(input.hashtags ?? []), ...post.hashtags])],
    handles: new Set(handles),
    placeIds: new Set((input.placeIds ?? []).filter(isUuid).map((id) => id.toLowerCase())),
  };
}

/**
 * Matchers by the exact content of the interests they were built from: building one (folding,
 * plural variants of every keyword) cost more than matching a page of 100 posts. Keyed by content,
 * never by destination, so an edited taxonomy simply builds a new one: nothing can be stale.
 */
const matchers = new Map<string, PhraseMatcher<string>>();
const MATCHERS_KEPT = 64;

function matcherOf(interests: Taxonomy['interests']): PhraseMatcher<string> {
  const key = JSON.stringify(interests.map((i) => [i.id, i.keywords, i.hashtags]));
  let matcher = matchers.get(key);
  if (matcher) return matcher;
  matcher = new PhraseMatcher<string>();
  for (const interest of interests) {
    for (const keyword of interest.keywords) matcher.add(keyword, interest.id);
    // A hashtag's words are a phrase too: #StreetArt is found in "street art" and "#streetart".
    for (const tag of interest.hashtags) matcher.add(splitHashtag(tag), interest.id);
  }
  if (matchers.size >= MATCHERS_KEPT) matchers.delete(matchers.keys().next().value as string);
  matchers.set(key, matcher);
  return matcher;
}

function match(taxonomy: Taxonomy, posts: AnalyzedPost[]): InferredEvidence[][] {
  const slugOf = new Map(taxonomy.interests.map((i) => [i.id, i.slug]));
  const matcher = matcherOf(taxonomy.interests);
  return posts.map((post) => {
    const found = new Map<EvidenceKind, Set<string>>(KIND_ORDER.map((k) => [k, new Set()]));
    for (const tag of post.hashtags) {
      for (const id of matcher.matchHashtag(tag)) found.get(EvidenceKind.HASHTAG)!.add(id);
    }
    for (const id of matcher.match(post.words)) found.get(EvidenceKind.KEYWORD)!.add(id);
    for (const place of taxonomy.places) {
      if (post.placeIds.has(place.placeId) || (place.handle && post.handles.has(place.handle))) {
        found.get(EvidenceKind.PLACE)!.add(place.interestId);
      }
    }
    return KIND_ORDER.flatMap((kind) =>
      [...found.get(kind)!]
        .sort((a, b) => (slugOf.get(a) ?? a).localeCompare(slugOf.get(b) ?? b))
        .map((interestId) => ({ interestId, kind, weight: DEFAULT_EVIDENCE_WEIGHTS[kind] })),
    );
  });
}

/**
 * Turns what a post says into interest evidence, against the destination's taxonomy:
 * - HASHTAG: a hashtag equal to one of an interest's hashtags or keywords (normalised: case,
 *   accents, camel case, plurals), or whose words contain one (#MuséeDesBeauxArts → musée);
 * - KEYWORD: one of an interest's keywords (or hashtags' words) in the text, on word boundaries,
 *   hashtags, mentions and links left out (they count as what they are);
 * - PLACE: the interests linked to the places mentioned (by X handle, or by id).
 * At most one piece per (interest, kind), weighted with DEFAULT_EVIDENCE_WEIGHTS. The taxonomy is
 * read on every call (nothing cached that another process could change); inferMany reads it once
 * for a batch of posts.
 */
@Injectable()
export class InterestInferenceService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async infer(
    destinationId: string,
    input: InferenceInput,
    manager?: EntityManager,
  ): Promise<InferredEvidence[]> {
    const [result] = await this.inferMany(destinationId, [input], manager);
    return result;
  }

  /** infer for many posts of one destination: two queries in all, whatever the batch size. */
  async inferMany(
    destinationId: string,
    inputs: InferenceInput[],
    manager?: EntityManager,
  ): Promise<InferredEvidence[][]> {
    if (!inputs.length) return [];
    const q = manager ?? this.dataSource.manager;
    const interests: { id: string; slug: string; keywords: string[]; hashtags: string[] }[] =
      await q.query(
        'SELECT id, slug, keywords, hashtags FROM interests WHERE destination_id = $1',
        [destinationId],
      );
    const posts = inputs.map(analyze);
    const places = await this.placeInterests(
      q,
      destinationId,
      [...new Set(posts.flatMap((p) => [...p.placeIds]))],
      [...new Set(posts.flatMap((p) => [...p.handles]))],
    );
    return match({ interests, places }, posts);
  }

  /**
   * inferMany against a taxonomy the caller read itself (see TAXONOMY_COLUMNS), with no query:
   * for the ingest pipeline, which reads it with the rest of a page's context in one statement.
   */
  inferWith(taxonomy: Taxonomy, inputs: InferenceInput[]): InferredEvidence[][] {
    return match(taxonomy, inputs.map(analyze));
  }

  /** The (place, interest) links of the places named by id or handle, in the destination only. */
  private async placeInterests(
    q: EntityManager,
    destinationId: string,
    placeIds: string[],
    handles: string[],
  ): Promise<{ placeId: string; handle: string | null; interestId: string }[]> {
    if (!placeIds.length && !handles.length) return [];
    const rows: { place_id: string; handle: string | null; interest_id: string }[] = await q.query(
      `SELECT p.id AS place_id, lower(p.twitter_handle) AS handle, pi.interest_id
           FROM places p
           JOIN place_interests pi ON pi.place_id = p.id
          WHERE p.destination_id = $1
            AND (p.id = ANY($2::uuid[]) OR lower(p.twitter_handle) = ANY($3::text[]))`,
      [destinationId, placeIds, handles],
    );
    return rows.map((r) => ({ placeId: r.place_id, handle: r.handle, interestId: r.interest_id }));
  }
}
