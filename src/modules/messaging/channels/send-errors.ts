/**
 * How a channel reports a send that did not happen; the worker decides from the class alone:
 * retry with backoff, fail for good, or wait for a rate-limit window.
 */

/** Worth retrying later: a 4xx answer, a network error, a timeout. */
export class TransientSendError extends Error {
  constructor(
    message: string,
    /** The provider's status (SMTP reply code, HTTP status) when there was one. */
    readonly responseCode?: number,
  ) {
    super(message);
    this.name = 'TransientSendError';
  }
}

/** Will fail the same way every time: a 5xx answer, a refused recipient, a missing token. */
export class PermanentSendError extends Error {
  constructor(
    message: string,
    readonly responseCode?: number,
    /**
     * The recipient's address itself was refused (SMTP 5xx to RCPT TO, an X account that does
     * not take DMs), as opposed to the sender's setup (authentication, configuration): only then
     * does suppressing the address make sense.
     */
    readonly recipientRejected = false,
  ) {
    super(message);
    this.name = 'PermanentSendError';
  }
}

/** The provider's rate limit: retry at `resetAt`, not with the usual backoff. */
export class RateLimitedSendError extends Error {
  constructor(
    message: string,
    readonly resetAt: Date,
  ) {
    super(message);
    this.name = 'RateLimitedSendError';
  }
}
