import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ApiPartialResponseError, ApiRequestError, ApiResponseError } from 'twitter-api-v2';
import { APP_CONFIG, type AppConfig } from '../../../infra/config/config.js';
import { createXClient, type XClientHandle } from '../../social/x-client.js';
import { PermanentSendError, RateLimitedSendError, TransientSendError } from './send-errors.js';

export { PermanentSendError, RateLimitedSendError, TransientSendError } from './send-errors.js';

export interface OutgoingDm {
  /** Our message id (for logs; X has no idempotency key, the caller dedupes). */
  messageId: string;
  /** The recipient's numeric X user id. */
  participantId: string;
  text: string;
}

/** X answers 429 without a reset header only on its daily DM cap, whose window is 24 h. */
const FALLBACK_WAIT_MS = 15 * 60_000;
/** X's limit on a DM's text, in characters (code points). */
const MAX_DM_LENGTH = 10_000;

/** Classifies a twitter-api-v2 failure into the channel's three outcomes. */
export function classifyXError(
  error: unknown,
  now = Date.now(),
): TransientSendError | PermanentSendError | RateLimitedSendError {
  if (error instanceof ApiResponseError) {
    const detail =
      (error.data as { detail?: string; title?: string } | undefined)?.detail ??
      (error.data as { title?: string } | undefined)?.title ??
      error.message;
    const message = `X answered ${error.code}: ${detail}`;
    if (error.code === 429) {
      const daily = Number(error.headers?.['x-user-limit-24hour-reset']);
      const dailyExhausted = error.headers?.['x-user-limit-24hour-remaining'] === '0';
      const reset = dailyExhausted && daily ? daily : error.rateLimit?.reset || daily;
      const resetAt = reset ? new Date(reset * 1000) : new Date(now + FALLBACK_WAIT_MS);
      return new RateLimitedSendError(message, resetAt);
    }
    if (error.code >= 500) return new TransientSendError(message, error.code);
    // 403 (the user does not take DMs from us), 404 (no such user), 400 (bad id): the recipient;
    // 401: our token.
    return new PermanentSendError(message, error.code, error.code !== 401);
  }
  if (error instanceof ApiRequestError || error instanceof ApiPartialResponseError) {
    return new TransientSendError(`X request failed: ${error.message}`);
  }
  return new TransientSendError(error instanceof Error ? error.message : String(error));
}

/**
 * Direct messages on X through twitter-api-v2, as the account of X_DM_ACCESS_TOKEN (a user-context
 * token: app-only tokens cannot send DMs), against X_API_BASE_URL when set (the fake in tests).
 */
@Injectable()
export class XDmChannel implements OnModuleDestroy {
  private handle?: XClientHandle;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return !!this.config.xDmAccessToken;
  }

  async send(dm: OutgoingDm): Promise<{ providerMessageId: string }> {
    const token = this.config.xDmAccessToken;
    if (!token) {
      throw new PermanentSendError('X_DM_ACCESS_TOKEN is not set: direct messages are off');
    }
    if (!/^\d{1,19}$/.test(dm.participantId)) {
      throw new PermanentSendError(`not an X user id: ${dm.participantId}`, undefined, true);
    }
    if (!dm.text.trim()) throw new PermanentSendError('empty direct message');
    if ([...dm.text].length > MAX_DM_LENGTH) {
      throw new PermanentSendError(`direct message longer than ${MAX_DM_LENGTH} characters`);
    }
    this.handle ??= createXClient(token, this.config.xApiBaseUrl);
    let body: { data?: { dm_event_id?: string }; errors?: { detail?: string }[] };
    try {
      // The library's sendDmToParticipant types the answer without its `data` wrapper.
      body = await this.handle.client.v2.post(
        `dm_conversations/with/${dm.participantId}/messages`,
        { text: dm.text },
      );
    } catch (error) {
      throw classifyXError(error);
    }
    const id = body?.data?.dm_event_id;
    if (!id) {
      const detail = body?.errors?.map((e) => e.detail).join('; ') || 'no dm_event_id';
      throw new PermanentSendError(`X accepted no direct message: ${detail}`);
    }
    return { providerMessageId: id };
  }

  onModuleDestroy(): void {
    this.handle?.close();
    this.handle = undefined;
  }
}
