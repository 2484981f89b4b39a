import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { APP_CONFIG, unsubscribeSecretOf, type AppConfig } from '../../infra/config/config.js';
import { AdvisoryLockSpace } from '../../infra/database/advisory-lock.js';
import type { TemplateVariant } from '../campaigns/campaign-step.entity.js';
import { isTooLate } from '../campaigns/schedule/send-time.js';
import { Channel } from '../visitors/consent.entity.js';
import { SuppressionService } from '../visitors/suppression.service.js';
import { EmailChannel } from './channels/email.channel.js';
import { PermanentSendError, TransientSendError } from './channels/send-errors.js';
import { XDmChannel } from './channels/x-dm.channel.js';
import {
  MessageContextBuilder,
  type MessageDestination,
  type MessageVisitor,
} from './message-context.js';
import { MessageStatus } from './message.entity.js';
import { updateReturning } from './update-returning.js';
import { completeBroadcastIfDone } from './message-outbox.js';
import {
  TemplateRenderError,
  TemplateRenderer,
  type RenderedParts,
} from './rendering/template-renderer.js';
import { signUnsubscribeToken } from './unsubscribe/unsubscribe-token.js';

/** Why a claimed message was not sent (Message.suppressionReason). */
export const SuppressionReason = {
  ERASED: 'erased',
  NO_CONSENT: 'no-consent',
  NO_ADDRESS: 'no-address',
  ADDRESS_SUPPRESSED: 'address-suppressed',
  FREQUENCY_CAP: 'frequency-cap',
  /** Its time passed more than LATE_GRACE ago (held by a pause, a long X rate limit…). */
  TOO_LATE: 'too-late',
} as const;

export type SendOutcome =
  'sent' | 'skipped' | 'held' | 'cancelled' | 'suppressed' | 'failed' | 'retry';

interface ClaimedRow {
  id: string;
  destination_id: string;
  campaign_id: string;
  step_id: string;
  visitor_id: string;
  stay_id: string | null;
  channel: Channel;
  scheduled_at: Date;
}

const WEEK_MS = 7 * 86_400_000;
/** A job may fire a little before its row's time (clock skew between processes). */
const EARLY_SLACK_MS = 2000;

/** Renders a step for one visitor: what the worker sends and what previewMessage shows. */
export interface Rendered extends RenderedParts {
  locale: string;
  unsubscribeUrl: string;
}

/**
 * The send path of one message, safe to run twice: the conditional claim (SCHEDULED|QUEUED →
 * SENDING) lets one worker in; everything that may have changed since scheduling is re-checked
 * (campaign state, erasure, consent, suppression list, weekly cap); the message id is the
 * e-mail's Message-ID / the DM's dedupe key, so a send retried after a crash is recognised.
 */
@Injectable()
export class MessageSender {
  private readonly logger = new Logger(MessageSender.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly context: MessageContextBuilder,
    private readonly renderer: TemplateRenderer,
    private readonly suppressions: SuppressionService,
    private readonly email: EmailChannel,
    private readonly dm: XDmChannel,
    private readonly clock: Clock,
  ) {}

  /**
   * `finalAttempt`: a transient failure now is FAILED instead of retried. Transient errors are
   * rethrown (BullMQ retries with backoff); RateLimitedSendError too (the job waits for resetAt).
   */
  async send(id: string, finalAttempt: boolean): Promise<SendOutcome> {
    const now = this.clock.now();
    const [claimed] = await updateReturning<ClaimedRow>(
      this.dataSource,
      `UPDATE messages SET status = 'SENDING', claimed_at = $2, attempts = attempts + 1,
                updated_at = now()
          WHERE id = $1 AND status IN ('SCHEDULED', 'QUEUED')
            AND scheduled_at <= $3
          RETURNING id, destination_id, campaign_id, step_id, visitor_id, stay_id, channel,
                    scheduled_at`,
      [id, now, new Date(now.getTime() + EARLY_SLACK_MS)],
    );
    if (!claimed) return 'skipped';
    try {
      return await this.sendClaimed(claimed, finalAttempt);
    } finally {
      await completeBroadcastIfDone(this.dataSource, claimed.campaign_id);
    }
  }

  private async sendClaimed(m: ClaimedRow, finalAttempt: boolean): Promise<SendOutcome> {
    const [campaign]: { status: string; frequency_cap_per_week: number | null }[] =
      await this.dataSource.query(
        'SELECT status, frequency_cap_per_week FROM campaigns WHERE id = $1',
        [m.campaign_id],
      );
    if (campaign?.status === 'PAUSED') {
      await this.set(m.id, { status: MessageStatus.SCHEDULED, claimed_at: null });
      return 'held';
    }
    if (campaign?.status !== 'ACTIVE') {
      await this.set(m.id, { status: MessageStatus.CANCELLED, claimed_at: null });
      return 'cancelled';
    }
    const suppress = async (reason: string) => {
      await this.set(m.id, { status: MessageStatus.SUPPRESSED, suppression_reason: reason });
      return 'suppressed' as const;
    };
    // Not sent late (DESIGN: a step whose time is past is not sent): a message held by a pause,
    // waiting out a rate limit or re-enqueued after losing Redis, further past than the grace a
    // step gets when it is scheduled.
    if (isTooLate(m.scheduled_at, this.clock.now(), this.config.lateGraceMs)) {
      return suppress(SuppressionReason.TOO_LATE);
    }
    const visitor = await this.context.visitor(m.destination_id, m.visitor_id);
    if (!visitor || visitor.erased_at) return suppress(SuppressionReason.ERASED);
    const [{ consent }]: { consent: boolean }[] = await this.dataSource.query(
      "SELECT visitor_consent($1, $2, 'MARKETING') AS consent",
      [m.visitor_id, m.channel],
    );
    if (!consent) return suppress(SuppressionReason.NO_CONSENT);
    const address = m.channel === Channel.EMAIL ? visitor.email : visitor.twitter_id;
    if (!address) return suppress(SuppressionReason.NO_ADDRESS);
    if (
      m.channel === Channel.EMAIL &&
      (await this.suppressions.isSuppressed(m.destination_id, address))
    ) {
      return suppress(SuppressionReason.ADDRESS_SUPPRESSED);
    }
    if (campaign.frequency_cap_per_week) {
      const capped = await this.overCap(m, campaign.frequency_cap_per_week);
      if (capped) return 'suppressed';
    }

    let rendered: Rendered;
    try {
      const destination = await this.context.destination(m.destination_id);
      rendered = await this.renderFor(destination, visitor, m);
    } catch (error) {
      if (!(error instanceof TemplateRenderError)) throw error;
      await this.set(m.id, {
        status: MessageStatus.FAILED,
        last_error: `template: ${error.message}`,
      });
      return 'failed';
    }

    try {
      const { providerMessageId } =
        m.channel === Channel.EMAIL
          ? await this.email.send({
              messageId: m.id,
              to: address,
              subject: rendered.subject ?? '',
              text: rendered.text,
              html: rendered.html,
              unsubscribeUrl: rendered.unsubscribeUrl,
              unsubscribeMailto: this.unsubscribeMailto(m.id),
            })
          : await this.dm.send({ messageId: m.id, participantId: address, text: rendered.text });
      await this.set(m.id, {
        status: MessageStatus.SENT,
        sent_at: this.clock.now(),
        provider_message_id: providerMessageId,
        locale: rendered.locale,
        last_error: null,
      });
      return 'sent';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof PermanentSendError) {
        await this.set(m.id, { status: MessageStatus.FAILED, last_error: message });
        if (m.channel === Channel.EMAIL && error.recipientRejected) {
          await this.suppressions.suppress(m.destination_id, address, 'bounce');
        }
        return 'failed';
      }
      if (error instanceof TransientSendError && finalAttempt) {
        await this.set(m.id, { status: MessageStatus.FAILED, last_error: message });
        return 'failed';
      }
      // Transient, rate limited, or unexpected: back to QUEUED, and the job decides when again.
      await this.set(m.id, {
        status: MessageStatus.QUEUED,
        claimed_at: null,
        last_error: message,
      });
      if (!(error instanceof TransientSendError)) {
        this.logger.warn(`Message ${m.id}: ${message}`);
      }
      throw error;
    }
  }

  /** The message of `step` for `visitor`, rendered as it would be sent. */
  async renderFor(
    destination: MessageDestination,
    visitor: MessageVisitor,
    m: { id: string; step_id: string; stay_id: string | null; channel: Channel },
  ): Promise<Rendered> {
    const [step]: { variants: TemplateVariant[] }[] = await this.dataSource.query(
      'SELECT variants FROM campaign_steps WHERE id = $1',
      [m.step_id],
    );
    const variant = this.renderer.pickVariant(
      step.variants,
      visitor.locale,
      destination.default_locale,
    );
    const unsubscribeUrl = this.unsubscribeUrl(m.id, visitor.id, m.channel);
    const context = await this.context.build(destination, visitor, m.stay_id, unsubscribeUrl);
    const parts = this.renderer.render(variant, context, {
      locale: variant.locale,
      timeZone: visitor.time_zone ?? destination.time_zone,
    });
    return { ...parts, locale: variant.locale, unsubscribeUrl };
  }

  unsubscribeUrl(messageId: string, visitorId: string, channel: Channel): string {
    const token = signUnsubscribeToken(
      { messageId, visitorId, channel },
      unsubscribeSecretOf(this.config),
    );
    return `${this.config.publicUrl}/unsubscribe/${token}`;
  }

  private unsubscribeMailto(messageId: string): string {
    const from = /<([^>]+)>/.exec(this.config.mailFrom)?.[1] ?? this.config.mailFrom;
    return `mailto:${from}?subject=unsubscribe%20${messageId}`;
  }

  /**
   * The weekly cap, checked and applied under a lock per visitor: the visitor's messages sent in
   * the last 7 days, in every campaign, and those being sent now (SENDING: claimed by a worker,
   * perhaps past their own check) count. Two of a visitor's messages taken at the same instant
   * are checked one after the other: the first counts the second as on its way, and a message
   * over the cap is SUPPRESSED before the lock is released, so the second no longer counts it.
   * The cap is never exceeded; at worst a message is held back for one that then fails.
   */
  private async overCap(m: ClaimedRow, cap: number): Promise<boolean> {
    return this.dataSource.transaction(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        AdvisoryLockSpace.FREQUENCY_CAP,
        m.visitor_id,
      ]);
      const [{ n }]: { n: number }[] = await q.query(
        `SELECT count(*)::int AS n FROM messages
          WHERE visitor_id = $1 AND id <> $3
            AND ((status = 'SENT' AND sent_at > $2) OR status = 'SENDING')`,
        [m.visitor_id, new Date(this.clock.now().getTime() - WEEK_MS), m.id],
      );
      if (n < cap) return false;
      await this.set(
        m.id,
        { status: MessageStatus.SUPPRESSED, suppression_reason: SuppressionReason.FREQUENCY_CAP },
        q,
      );
      return true;
    });
  }

  private async set(
    id: string,
    values: Record<string, unknown>,
    q: Pick<DataSource, 'query'> = this.dataSource,
  ): Promise<void> {
    const keys = Object.keys(values);
    await q.query(
      `UPDATE messages SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now()
        WHERE id = $1`,
      [id, ...keys.map((k) => values[k])],
    );
  }
}
