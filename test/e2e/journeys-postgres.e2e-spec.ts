import type { AddressObject, ParsedMail } from 'mailparser';
import { DataSource } from 'typeorm';
import { MessageReconciler } from '../../src/modules/messaging/message-reconciler.service.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const recipient = (mail: ParsedMail) =>
  (Array.isArray(mail.to) ? mail.to[0] : (mail.to as AddressObject)).value[0].address!;

/** The same outbox on BullMQ's PostgreSQL backend (small offices, the embedded mode). */
describe('journeys on the PostgreSQL queue backend (e2e)', () => {
  let app: TestApp;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ queueBackend: 'postgres', env: { SMTP_URL: sink.url } });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await sink?.close();
  });

  it('schedules, sends once, and reconciles', async () => {
    const d = await seedDestination(app);
    const emails = ['pg-1@example.org', 'pg-2@example.org'];
    for (const [i, email] of emails.entries()) {
      await app.ok(
        'mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { id } }',
        {
          input: {
            firstName: `P${i}`,
            email,
            locale: 'en',
            consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'form' }],
          },
        },
        d.admin,
      );
    }
    const { createCampaign: campaign } = await app.ok(
      'mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
      {
        input: {
          name: 'PG broadcast',
          kind: 'BROADCAST',
          sendAt: new Date(Date.now() + 1000).toISOString(),
          steps: [
            {
              name: 'news',
              channel: 'EMAIL',
              anchor: 'SEND_AT',
              offset: 'PT0S',
              variants: [{ locale: 'en', subject: 'Hi {{ visitor.firstName }}', body: 'News' }],
            },
          ],
        },
      },
      d.admin,
    );
    await app.ok(
      'mutation($id: ID!) { activateCampaign(id: $id) { id } }',
      { id: campaign.id },
      d.admin,
    );
    await sink.waitFor(2, 30_000);
    const db = app.runtime.app.get(DataSource);
    const statuses = async (): Promise<string[]> => {
      const rows: { status: string }[] = await db.query(
        'SELECT status FROM messages WHERE campaign_id = $1',
        [campaign.id],
      );
      return rows.map((r) => r.status);
    };
    for (let i = 0; i < 50 && (await statuses()).some((s) => s !== 'SENT'); i++) await sleep(200);
    expect(await statuses()).toEqual(['SENT', 'SENT']);
    expect(await app.runtime.app.get(MessageReconciler).reconcile()).toEqual({
      released: 0,
      requeued: 0,
    });
    await sleep(1000);
    expect(sink.messages.map(recipient).sort()).toEqual(emails);
    const { campaign: done } = await app.ok(
      'query($id: ID!) { campaign(id: $id) { status stats { sent } } }',
      { id: campaign.id },
      d.admin,
    );
    expect(done).toEqual({ status: 'COMPLETED', stats: { sent: 2 } });
  }, 60_000);
});
