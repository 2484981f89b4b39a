import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import nodemailer from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '../../../infra/config/config.js';
import { PermanentSendError, TransientSendError } from './send-errors.js';

export { PermanentSendError, RateLimitedSendError, TransientSendError } from './send-errors.js';

export interface OutgoingEmail {
  /** Our message id: the Message-ID header and the outbox file name, so a retry is recognisable. */
  messageId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The HTTPS one-click link (RFC 8058). */
  unsubscribeUrl: string;
  /** "mailto:unsubscribe@…" (or a bare address). */
  unsubscribeMailto: string;
}

/** The domain of our Message-IDs: the id is ours, not the sending host's. */
export const MESSAGE_ID_DOMAIN = 'escale.local';

export const messageIdHeader = (messageId: string) => `<${messageId}@${MESSAGE_ID_DOMAIN}>`;

/** Network-level failures nodemailer reports without an SMTP reply. */
const NETWORK_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROTOCOL',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EMAXLIMIT',
]);

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  command?: string;
  permanent?: boolean;
}

/** Classifies a nodemailer failure: 5xx is final, 4xx and the network are worth a retry. */
export function classifySmtpError(error: unknown): TransientSendError | PermanentSendError {
  const e = (error ?? {}) as NodemailerError;
  const message = e.message || String(error);
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  if (code !== undefined && code >= 500 && code < 600) {
    return new PermanentSendError(message, code, e.code === 'EENVELOPE' || e.command === 'RCPT TO');
  }
  if (code !== undefined && code >= 400 && code < 500) return new TransientSendError(message, code);
  if (e.code && NETWORK_CODES.has(e.code)) return new TransientSendError(message);
  // Configuration and authentication problems are not the recipient's: fail the message, keep
  // the address.
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || e.code === 'ECONFIG') {
    return new PermanentSendError(message, code, false);
  }
  return new TransientSendError(message);
}

type Transport = ReturnType<typeof nodemailer.createTransport>;

/**
 * E-mail through nodemailer: a pooled SMTP transport when SMTP_URL is set, else the stream
 * transport writing each message to ESCALE_DATA_DIR/outbox/<messageId>.eml (the embedded demo's
 * inspectable outbox). Failures come out as TransientSendError or PermanentSendError.
 */
@Injectable()
export class EmailChannel implements OnModuleDestroy {
  private transport?: Transport;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Where the stream transport writes, or undefined when mail goes to an SMTP server. */
  get outboxDir(): string | undefined {
    return this.config.smtpUrl ? undefined : resolve(this.config.dataDir, 'outbox');
  }

  async send(mail: OutgoingEmail): Promise<{ providerMessageId: string }> {
    const messageId = messageIdHeader(mail.messageId);
    const mailto = mail.unsubscribeMailto.startsWith('mailto:')
      ? mail.unsubscribeMailto
      : `mailto:${mail.unsubscribeMailto}`;
    const message = {
      from: this.config.mailFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      // Fixed per message: a resend after a crash carries the same id, so receivers and the
      // reconciler can tell it is the same mail.
      messageId,
      list: { unsubscribe: [[mail.unsubscribeUrl, mailto]] },
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    };
    const transport = this.getTransport();
    let info: { messageId?: string; message?: unknown };
    try {
      info = (await transport.sendMail(message)) as typeof info;
    } catch (error) {
      throw classifySmtpError(error);
    }
    const outbox = this.outboxDir;
    if (outbox) await this.writeOutbox(outbox, mail.messageId, info.message);
    return { providerMessageId: info.messageId ?? messageId };
  }

  async onModuleDestroy(): Promise<void> {
    this.transport?.close();
    this.transport = undefined;
  }

  private getTransport(): Transport {
    if (this.transport) return this.transport;
    this.transport = this.config.smtpUrl
      ? nodemailer.createTransport({
          url: this.config.smtpUrl,
          pool: true,
          maxConnections: this.config.smtpMaxConnections,
          // A new connection per 100 messages: bounded per-connection state on long runs.
          maxMessages: 100,
        })
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    return this.transport;
  }

  private async writeOutbox(dir: string, messageId: string, raw: unknown): Promise<void> {
    if (!Buffer.isBuffer(raw)) throw new TransientSendError('stream transport returned no message');
    // Ids are uuids; anything else is refused rather than allowed to pick another path.
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(messageId)) {
      throw new PermanentSendError(`unusable message id for the outbox: ${messageId}`);
    }
    try {
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${messageId}.eml`);
      // Written whole then renamed: a reader never sees half a message, a retry replaces it.
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, raw);
      await rename(temp, file);
    } catch (error) {
      throw new TransientSendError(`outbox write failed: ${(error as Error).message}`);
    }
  }
}
