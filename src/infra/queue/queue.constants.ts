/** Every queue of Escale. A job's name is an enum of its queue's module; data is typed per job. */
export enum QueueName {
  MAINTENANCE = 'maintenance',
  /** Interest scores: the nightly decay refresh, one job per destination. */
  INTERESTS = 'interests',
  /** X polling: the SOCIAL_POLL_INTERVAL fan-out and one poll job per destination. */
  SOCIAL = 'social',
  /** Ambassador scores: the nightly recompute and the one a minute after ingestion, per destination. */
  AMBASSADORS = 'ambassadors',
  /** Campaign activation: chunked scheduling of messages for everyone in a segment. */
  CAMPAIGNS = 'campaigns',
  /** The message outbox: one delayed job per message (jobId = message id), and the reconciler. */
  MESSAGES = 'messages',
}

export const ALL_QUEUES = Object.values(QueueName);

/** Retention so Redis/PostgreSQL do not grow without bound; failures kept longer for diagnosis. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;
