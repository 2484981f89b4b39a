import type { SocialProvider } from '../visitors/social-identity.entity.js';
import type { InteractionKind } from './interaction.entity.js';
import type { PostFacts } from './post-facts.js';

/** One post as a provider client (X polling, partner import) hands it to the ingest pipeline. */
export interface NormalizedPost {
  provider: SocialProvider;
  externalId: string;
  kind: InteractionKind;
  authorExternalId: string;
  authorHandle?: string;
  authorFollowersCount?: number;
  authorFollowingCount?: number;
  authorPostCount?: number;
  text?: string;
  lang?: string;
  url?: string;
  occurredAt: Date;
  inReplyToExternalId?: string;
  referencedExternalId?: string;
  hashtags?: string[];
  mentions?: string[];
  metrics?: {
    likes?: number;
    shares?: number;
    replies?: number;
    quotes?: number;
    impressions?: number;
  };
  possiblySensitive?: boolean;
  /** postFacts(text), when worked out ahead of the ingest (see PostFacts). */
  facts?: PostFacts;
}

export interface IngestOptions {
  source: 'x' | 'partner';
}
