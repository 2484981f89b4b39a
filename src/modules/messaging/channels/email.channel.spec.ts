import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { startSmtpSink, type SmtpSink } from '../../../../test/support/smtp-sink.js';
import { loadConfig } from '../../../infra/config/config.js';
import {
  EmailChannel,
  type OutgoingEmail,
  PermanentSendError,
  TransientSendError,
} from './email.channel.js';

const mail = (over: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
  messageId: '0b6a1c52-5f3e-4f0e-9a57-1d2f8f0c9a11',
  to: 'lea@example.org',
  subject: 'Bienvenue à Rennes',
  text: 'Bonjour Léa\n\n-- \nSe désabonner: https://crm.example.org/unsubscribe/tok',
  html: '<p>Bonjour Léa</p><p><a href="https://crm.example.org/unsubscribe/tok">Se désabonner</a></p>',
  unsubscribeUrl: 'https://crm.example.org/unsubscribe/tok',
  unsubscribeMailto: 'mailto:unsubscribe@crm.example.org?subject=tok',
  ...over,
});

function expectHeaders(parsed: ParsedMail, messageId: string) {
  expect(parsed.messageId).toBe(`<${messageId}@escale.local>`);
  expect(parsed.subject).toBe('Bienvenue à Rennes');
  expect(parsed.from?.value).toEqual([{ name: 'Rennes', address: 'hello@rennes.example' }]);
  // mailparser folds List-* headers into one structure: read the lines as sent.
  const line = (key: string) => parsed.headerLines.find((h) => h.key === key)?.line;
  expect(line('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  const listUnsubscribe = line('list-unsubscribe');
  expect(listUnsubscribe).toContain('<https://crm.example.org/unsubscribe/tok>');
  expect(listUnsubscribe).toContain('<mailto:unsubscribe@crm.example.org?subject=tok>');
  expect(parsed.text).toContain('Bonjour Léa');
  expect(parsed.html).toContain('<p>Bonjour Léa</p>');
}

describe('EmailChannel over SMTP', () => {
  let sink: SmtpSink;
  let channel: EmailChannel;

  beforeAll(async () => {
    sink = await startSmtpSink();
    channel = new EmailChannel(
      loadConfig({
        SMTP_URL: sink.url,
        MAIL_FROM: 'Rennes <hello@rennes.example>',
        SMTP_MAX_CONNECTIONS: '2',
      }),
    );
  });

  afterAll(async () => {
    await channel.onModuleDestroy();
    await sink.close();
  });

  it('sends text and HTML with the Message-ID and one-click unsubscribe headers', async () => {
    const before = sink.received;
    const { providerMessageId } = await channel.send(mail());
    expect(providerMessageId).toBe('<0b6a1c52-5f3e-4f0e-9a57-1d2f8f0c9a11@escale.local>');
    const [parsed] = (await sink.waitFor(before + 1)).slice(before);
    expectHeaders(parsed!, '0b6a1c52-5f3e-4f0e-9a57-1d2f8f0c9a11');
    expect(parsed!.to && 'text' in parsed!.to ? parsed!.to.text : '').toBe('lea@example.org');
    expect(channel.outboxDir).toBeUndefined();
  });

  it('accepts a bare unsubscribe address', async () => {
    const before = sink.received;
    await channel.send(mail({ messageId: 'm-bare', unsubscribeMailto: 'unsub@crm.example.org' }));
    const [parsed] = (await sink.waitFor(before + 1)).slice(before);
    const line = parsed!.headerLines.find((h) => h.key === 'list-unsubscribe')?.line;
    expect(line).toContain('<mailto:unsub@crm.example.org>');
  });

  it('reports a 451 as transient, and the next attempt goes through', async () => {
    sink.failRecipient('busy@example.org', 451, 1);
    const error = await channel.send(mail({ to: 'busy@example.org' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientSendError);
    expect((error as TransientSendError).responseCode).toBe(451);
    const before = sink.received;
    await channel.send(mail({ to: 'busy@example.org', messageId: 'm-retry' }));
    await sink.waitFor(before + 1);
  });

  it('reports a 550 as permanent, naming the refused recipient', async () => {
    sink.failRecipient('gone@example.org', 550);
    const before = sink.received;
    const error = await channel.send(mail({ to: 'gone@example.org' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(error).toMatchObject({ responseCode: 550, recipientRejected: true });
    expect(sink.received).toBe(before);
  });
});

describe('EmailChannel failures without a server', () => {
  it('reports a refused connection as transient', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const channel = new EmailChannel(loadConfig({ SMTP_URL: `smtp://127.0.0.1:${port}` }));
    try {
      const error = await channel.send(mail()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientSendError);
    } finally {
      await channel.onModuleDestroy();
    }
  });
});

describe('EmailChannel without SMTP (outbox)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'escale-outbox-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes a parseable .eml named after the message id, once even when resent', async () => {
    const channel = new EmailChannel(
      loadConfig({ ESCALE_DATA_DIR: dataDir, MAIL_FROM: 'Rennes <hello@rennes.example>' }),
    );
    const id = '6d1f9a0e-2b7c-4c55-8e0a-3f4b5c6d7e8f';
    const { providerMessageId } = await channel.send(mail({ messageId: id }));
    await channel.send(mail({ messageId: id }));
    expect(providerMessageId).toBe(`<${id}@escale.local>`);
    const outbox = join(dataDir, 'outbox');
    expect(channel.outboxDir).toBe(outbox);
    expect(await readdir(outbox)).toEqual([`${id}.eml`]);
    const parsed = await simpleParser(await readFile(join(outbox, `${id}.eml`)));
    expectHeaders(parsed, id);
    await channel.onModuleDestroy();
  });

  it('refuses a message id that would leave the outbox', async () => {
    const channel = new EmailChannel(loadConfig({ ESCALE_DATA_DIR: dataDir }));
    await expect(channel.send(mail({ messageId: '../escape' }))).rejects.toBeInstanceOf(
      PermanentSendError,
    );
  });
});
