/**
 * The scenario format (what a scenario JSON file holds) and the API shapes the fake answers with.
 * Field names are the X API v2 ones, so a scenario post reads like an API tweet.
 */

export interface UserPublicMetrics {
  followers_count: number;
  following_count: number;
  tweet_count: number;
  listed_count: number;
  like_count?: number;
}

export interface ScenarioUser {
  /** Decimal id string. */
  id: string;
  /** 1..15 characters of [A-Za-z0-9_], unique regardless of case. */
  username: string;
  name: string;
  public_metrics: UserPublicMetrics;
  created_at?: string;
  description?: string;
  location?: string;
  verified?: boolean;
  /** Protected accounts: their posts are hidden from search/mentions; lookups answer an error. */
  protected?: boolean;
  profile_image_url?: string;
  /** Whether a DM to this user is accepted (default true); false answers 403 as X does. */
  accepts_dms?: boolean;
}

export interface ScenarioPlace {
  /** X place ids are 16 hex characters. */
  id: string;
  full_name: string;
  name?: string;
  country?: string;
  country_code?: string;
  place_type?: 'poi' | 'neighborhood' | 'city' | 'admin' | 'country';
  geo?: { type: 'Feature'; bbox: [number, number, number, number]; properties: object };
}

export type ReferenceType = 'retweeted' | 'quoted' | 'replied_to';

export interface TweetPublicMetrics {
  retweet_count: number;
  reply_count: number;
  like_count: number;
  quote_count: number;
  bookmark_count: number;
  impression_count: number;
}

export interface HashtagEntity {
  start: number;
  end: number;
  tag: string;
}
export interface MentionEntity {
  start: number;
  end: number;
  username: string;
  id?: string;
}
export interface UrlEntity {
  start: number;
  end: number;
  url: string;
  expanded_url: string;
  display_url: string;
}
export interface TweetEntities {
  hashtags?: HashtagEntity[];
  mentions?: MentionEntity[];
  urls?: UrlEntity[];
}

export interface ScenarioPost {
  /** Decimal snowflake-like id string; ids grow with created_at. */
  id: string;
  author_id: string;
  /** ISO 8601, e.g. 2025-06-01T08:30:00.000Z. */
  created_at: string;
  text: string;
  lang: string;
  possibly_sensitive?: boolean;
  referenced_tweets?: { type: ReferenceType; id: string }[];
  /** Computed from the replied-to post when absent. */
  in_reply_to_user_id?: string;
  /** Computed (the thread's root) when absent. */
  conversation_id?: string;
  geo?: { place_id: string };
  public_metrics?: Partial<TweetPublicMetrics>;
  /** Ids of scenario users who liked the post (served by liking_users). */
  liked_by?: string[];
  /** Computed from the text when absent. */
  entities?: TweetEntities;
  source?: string;
}

export interface Scenario {
  version: 1;
  /** Informational: the seed the generator used. */
  seed?: number | string;
  /**
   * Optional: the instant the scenario represents. The fake's clock starts there and runs in
   * real time (search/recent only sees the 7 days before it, and nothing after it).
   */
  now?: string;
  /** Username of the account the default user-context token acts as (DM sender). */
  owner?: string;
  users: ScenarioUser[];
  places?: ScenarioPlace[];
  posts: ScenarioPost[];
}

/** A DM the fake accepted, for assertions. */
export interface SentDm {
  dm_event_id: string;
  dm_conversation_id: string;
  sender_id: string;
  participant_id: string;
  text: string;
  created_at: string;
}

export type ApiObject = Record<string, unknown>;
