import { analyzePost, type PostAnalysis } from '../interests/text-normalizer.js';
import { sentimentOf } from './sentiment.js';

/**
 * What the ingest pipeline reads in a post's text, whatever the destination: its hashtags,
 * mentions and words (analyzePost) and its sentiment. A poll works them out as each page arrives,
 * while the previous batch commits (walkIntoPipeline), so that the ingest transaction, which holds
 * the destination's lock, does not wait for them; other callers leave them to the pipeline.
 */
export interface PostFacts {
  analysis: PostAnalysis | null;
  sentiment: number | null;
}

export function postFacts(text: string | null | undefined): PostFacts {
  if (!text) return { analysis: null, sentiment: null };
  return { analysis: analyzePost(text), sentiment: sentimentOf(text) };
}
