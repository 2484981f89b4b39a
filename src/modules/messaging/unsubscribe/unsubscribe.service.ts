import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, unsubscribeSecretOf, type AppConfig } from '../../../infra/config/config.js';
import { isUuid } from '../../../common/validation.js';
import { Role } from '../../access/user.entity.js';
import { Channel, ConsentPurpose } from '../../visitors/consent.entity.js';
import { VisitorsService } from '../../visitors/visitors.service.js';
import { MessageOutbox } from '../message-outbox.js';
import { updateReturning } from '../update-returning.js';
import { verifyUnsubscribeToken } from './unsubscribe-token.js';

export const UNSUBSCRIBE_SOURCE = 'unsubscribe-link';

export interface UnsubscribeTarget {
  messageId: string;
  visitorId: string;
  channel: Channel;
}

/**
 * Unsubscribe links: an HMAC-signed (message, visitor, channel), checked without any lookup, so a
 * forged or altered token changes nothing. Unsubscribing appends a revoking MARKETING consent for
 * the channel (the consent log is the truth the send path checks) and cancels what is pending.
 */
@Injectable()
export class UnsubscribeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly visitors: VisitorsService,
    private readonly outbox: MessageOutbox,
  ) {}

  /** The token's target, or null when it is not one of ours. */
  verify(token: string): UnsubscribeTarget | null {
    try {
      const payload = verifyUnsubscribeToken(token, unsubscribeSecretOf(this.config));
      if (!payload || !isUuid(payload.visitorId) || !isUuid(payload.messageId)) return null;
      if (!Object.values(Channel).includes(payload.channel as Channel)) return null;
      return payload as UnsubscribeTarget;
    } catch {
      return null;
    }
  }

  /** Revokes and cancels; false when the visitor no longer exists (erased: nothing to do). */
  async unsubscribe(target: UnsubscribeTarget): Promise<boolean> {
    const [visitor]: { destination_id: string }[] = await this.dataSource.query(
      'SELECT destination_id FROM visitors WHERE id = $1 AND erased_at IS NULL',
      [target.visitorId],
    );
    if (!visitor) return false;
    await this.visitors.recordConsent(
      {
        destinationId: visitor.destination_id,
        principal: { kind: 'user', userId: 'system', role: Role.ADMIN },
      },
      target.visitorId,
      {
        channel: target.channel,
        purpose: ConsentPurpose.MARKETING,
        granted: false,
        source: UNSUBSCRIBE_SOURCE,
      },
    );
    const cancelled = await updateReturning<{ id: string }>(
      this.dataSource,
      `UPDATE messages SET status = 'CANCELLED', updated_at = now()
        WHERE visitor_id = $1 AND channel = $2 AND status IN ('SCHEDULED', 'QUEUED') RETURNING id`,
      [target.visitorId, target.channel],
    );
    await this.outbox.remove(cancelled.map((r) => r.id));
    return true;
  }
}
