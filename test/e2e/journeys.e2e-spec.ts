import { getQueueToken } from '@nestjs/bullmq';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Queue } from 'bullmq';
import type { AddressObject, ParsedMail } from 'mailparser';
import { DataSource } from 'typeorm';
import { QueueName } from '../../src/infra/queue/queue.constants.js';
import {
  AmbassadorEvents,
  type AmbassadorPromotedEvent,
} from '../../src/modules/ambassadors/ambassador.events.js';
import { MessageReconciler } from '../../src/modules/messaging/message-reconciler.service.js';
import { MessageSender } from '../../src/modules/messaging/message-sender.service.js';
import { SuppressionService } from '../../src/modules/visitors/suppression.service.js';
import { startFakeX, type FakeX } from '../support/fake-x/index.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Headers = Record<string, string>;

const SECOND = 1000;
const CAMPAIGN_FIELDS = `id name kind status sendAt frequencyCapPerWeek createdAt
  segment { id }
  steps { id name channel anchor offset localSendTime variants { locale subject body } }
  stats { scheduled queued sent failed suppressed cancelled }`;
const CREATE = `mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { ${CAMPAIGN_FIELDS} } }`;
const ACTIVATE = `mutation($id: ID!) { activateCampaign(id: $id) { ${CAMPAIGN_FIELDS} } }`;
const PAUSE = `mutation($id: ID!) { pauseCampaign(id: $id) { ${CAMPAIGN_FIELDS} } }`;
const ARCHIVE = `mutation($id: ID!) { archiveCampaign(id: $id) { ${CAMPAIGN_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: CreateCampaignInput!) { updateCampaign(id: $id, input: $input) { id } }`;
const CAMPAIGN = `query($id: ID!) { campaign(id: $id) { ${CAMPAIGN_FIELDS} } }`;
const MESSAGE_FIELDS = `id status scheduledAt sentAt attempts lastError suppressionReason providerMessageId channel
  visitor { id } stay { id } step { id name } campaign { id }`;
const MESSAGES = `query($c: ID, $s: MessageStatus, $first: Int, $after: String) {
  messages(campaignId: $c, status: $s, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${MESSAGE_FIELDS} } } } }`;
const CREATE_VISITOR =
  'mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { id } }';
const UPSERT_STAY = 'mutation($input: StayInput!) { upsertStay(input: $input) { id } }';
const CANCEL_STAY = 'mutation($id: ID!) { cancelStay(id: $id) { id } }';

const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const recipient = (mail: ParsedMail) =>
  (Array.isArray(mail.to) ? mail.to[0] : (mail.to as AddressObject)).value[0].address!;

/** Polls `check` until it returns a value (never asserts on time: the timeout is a safety net). */
async function until<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(200);
  }
}

const consent = (channel = 'EMAIL') => ({
  channel,
  purpose: 'MARKETING',
  granted: true,
  source: 'form',
});

const variants = [
  {
    locale: 'fr',
    subject: '{{ visitor.firstName }}, bienvenue',
    body: 'Bonjour {{ visitor.firstName }} ! Arrivée le {{ stay.arrivalAt | date_local }}.',
  },
  {
    locale: 'en',
    subject: '{{ visitor.firstName }}, welcome',
    body: 'Hello {{ visitor.firstName }}! You arrive on {{ stay.arrivalAt | date_local }}.',
  },
];
const broadcastVariants = [
  {
    locale: 'fr',
    subject: 'Nouvelles de {{ destination.name }}',
    body: 'Bonjour {{ visitor.firstName }}',
  },
  {
    locale: 'en',
    subject: 'News from {{ destination.name }}',
    body: 'Hello {{ visitor.firstName }}',
  },
];

describe('journeys (e2e)', () => {
  let app: TestApp;
  let sink: SmtpSink;
  let fakeX: FakeX;
  let db: DataSource;
  let d: Seeded;
  let marketer: Headers;
  let n = 0;

  const ok = <T = Record<string, any>>(
    q: string,
    v: Record<string, unknown>,
    h: Headers = marketer,
  ) => app.ok<T>(q, v, h);
  const visitor = async (input: Record<string, unknown>) =>
    (await ok(CREATE_VISITOR, { input })).createVisitor.id as string;
  const guest = (locale: string, withConsent = true) => {
    const email = `guest-${++n}-${locale.toLowerCase()}@example.org`;
    return visitor({
      firstName: `Guest${n}`,
      email,
      locale,
      consents: withConsent ? [consent()] : [],
    }).then((id) => ({ id, email }));
  };
  const stay = async (
    visitorId: string,
    arrivalAt: number,
    departureAt: number,
    ref = `R-${++n}`,
  ) =>
    (
      await ok(UPSERT_STAY, {
        input: {
          visitorId,
          arrivalAt: iso(arrivalAt),
          departureAt: iso(departureAt),
          source: 'test',
          externalRef: ref,
        },
      })
    ).upsertStay.id as string;
  const create = async (input: Record<string, unknown>) =>
    (await ok(CREATE, { input })).createCampaign;
  /** Tags the visitors with `tag` and returns the id of a saved segment of that tag. */
  const taggedSegment = async (tag: string, visitorIds: string[]) => {
    for (const id of visitorIds)
      await ok(
        `mutation($id: ID!, $input: UpdateVisitorInput!) { updateVisitor(id: $id, input: $input) { id } }`,
        { id, input: { tags: [tag] } },
      );
    const created = await ok(
      `mutation($f: SegmentFilterInput!) { createSegment(name: "${tag}", filter: $f) { id } }`,
      { f: { tagsAny: [tag] } },
    );
    return created.createSegment.id as string;
  };
  const broadcast = (sendAt: number, extra: Record<string, unknown> = {}) =>
    create({
      name: `Broadcast ${++n}`,
      kind: 'BROADCAST',
      sendAt: iso(sendAt),
      steps: [
        {
          name: 'news',
          channel: 'EMAIL',
          anchor: 'SEND_AT',
          offset: 'PT0S',
          variants: broadcastVariants,
        },
      ],
      ...extra,
    });
  const messagesOf = async (campaignId: string) => {
    const rows: {
      id: string;
      visitor_id: string;
      stay_id: string | null;
      step_id: string;
      status: string;
      scheduled_at: Date;
      sent_at: Date | null;
      suppression_reason: string | null;
      attempts: number;
      locale: string | null;
      last_error: string | null;
    }[] = await db.query('SELECT * FROM messages WHERE campaign_id = $1 ORDER BY scheduled_at', [
      campaignId,
    ]);
    return rows;
  };
  /** An ACTIVE broadcast to a segment, once its `count` messages are written. */
  const activeBroadcast = async (
    segmentId: string,
    sendAt: number,
    count: number,
    extra: Record<string, unknown> = {},
  ) => {
    const { id } = await broadcast(sendAt, { segmentId, ...extra });
    await ok(ACTIVATE, { id });
    await until(async () => (await messagesOf(id)).length === count);
    return id as string;
  };
  /** Two new guests (fr, en) in a segment of their own, and an ACTIVE broadcast to them. */
  const broadcastToTwo = async (sendAt: number, extra: Record<string, unknown> = {}) => {
    const [first, second] = await Promise.all([guest('fr'), guest('en')]);
    const segmentId = await taggedSegment(`two-${++n}`, [first.id, second.id]);
    const campaignId = await activeBroadcast(segmentId, sendAt, 2, extra);
    return { first, second, segmentId, campaignId };
  };
  const mailsTo = (email: string) => sink.messages.filter((m) => recipient(m) === email);

  beforeAll(async () => {
    sink = await startSmtpSink();
    const metrics = { followers_count: 10, following_count: 10, tweet_count: 10, listed_count: 0 };
    fakeX = await startFakeX(
      {
        version: 1,
        owner: 'VisitRennes',
        users: [
          { id: '1001', username: 'VisitRennes', name: 'Visit Rennes', public_metrics: metrics },
          { id: '2002', username: 'lea_m', name: 'Léa', public_metrics: metrics },
        ],
        posts: [],
      },
      { userTokens: { 'dm-token': 'VisitRennes' } },
    );
    app = await startTestApp({
      env: {
        SMTP_URL: sink.url,
        LATE_GRACE: 'PT20S',
        PUBLIC_URL: 'https://escale.example',
        X_DM_ACCESS_TOKEN: 'dm-token',
        X_API_BASE_URL: fakeX.url,
      },
    });
    db = app.runtime.app.get(DataSource);
  }, 60_000);

  // A destination per test: activation scans see every stay of their destination.
  beforeEach(async () => {
    d = await seedDestination(app);
    marketer = await d.as('MARKETER' as never);
  });

  afterAll(async () => {
    await app?.stop();
    await sink?.close();
    await fakeX?.stop();
  });

  it('sends each step of a journey once, at its time, in the visitor language', async () => {
    const t0 = Date.now();
    const fr = await guest('fr');
    const en = await guest('en-GB');
    const silent = await guest('fr', false);
    // One stay exists before activation (the scan), the others arrive after (stay events).
    // Far enough ahead that no step is late on a loaded machine (setup can take seconds).
    const arrival = t0 + 25 * SECOND;
    const departure = t0 + 27 * SECOND;
    await stay(fr.id, arrival, departure);
    const campaign = await create({
      name: 'Welcome journey',
      kind: 'STAY_JOURNEY',
      steps: [
        { name: 'before', channel: 'EMAIL', anchor: 'ARRIVAL', offset: '-PT5S', variants },
        { name: 'during', channel: 'EMAIL', anchor: 'ARRIVAL', offset: 'PT1S', variants },
        { name: 'after', channel: 'EMAIL', anchor: 'DEPARTURE', offset: 'PT1S', variants },
      ],
    });
    expect(campaign.status).toBe('DRAFT');
    expect(campaign.steps.map((s: { offset: string }) => s.offset)).toEqual([
      '-PT5S',
      'PT1S',
      'PT1S',
    ]);
    expect((await ok(ACTIVATE, { id: campaign.id })).activateCampaign.status).toBe('ACTIVE');
    await stay(en.id, arrival, departure);
    await stay(silent.id, arrival, departure);

    await until(async () => {
      const rows = await messagesOf(campaign.id);
      return (
        rows.length === 9 && rows.every((r) => ['SENT', 'SUPPRESSED', 'FAILED'].includes(r.status))
      );
    });
    const rows = await messagesOf(campaign.id);
    for (const r of rows) {
      if (r.visitor_id === silent.id) {
        expect(r).toMatchObject({ status: 'SUPPRESSED', suppression_reason: 'no-consent' });
        continue;
      }
      expect(r.status).toBe('SENT');
      expect(r.sent_at!.getTime()).toBeGreaterThanOrEqual(r.scheduled_at.getTime() - 2 * SECOND);
      expect(r.locale).toBe(r.visitor_id === fr.id ? 'fr' : 'en');
    }
    const times = rows.filter((r) => r.visitor_id === fr.id).map((r) => r.scheduled_at.getTime());
    expect(times).toEqual([arrival - 5 * SECOND, arrival + SECOND, departure + SECOND]);
    // Exactly three mails each, in their language.
    expect(mailsTo(fr.email).map((m) => m.subject)).toEqual(Array(3).fill('Guest1, bienvenue'));
    expect(mailsTo(en.email).map((m) => m.subject)).toEqual(Array(3).fill('Guest2, welcome'));
    expect(mailsTo(silent.email)).toHaveLength(0);
    const mail = mailsTo(fr.email)[0];
    expect(mail.text).toContain('Bonjour Guest1 !');
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    expect(mail.messageId).toBe(`<${rows.find((r) => r.visitor_id === fr.id)!.id}@escale.local>`);

    const stats = (await ok(CAMPAIGN, { id: campaign.id })).campaign.stats;
    expect(stats).toEqual({
      scheduled: 0,
      queued: 0,
      sent: 6,
      failed: 0,
      suppressed: 3,
      cancelled: 0,
    });
    const page = (await ok(MESSAGES, { c: campaign.id, s: 'SENT', first: 4 })).messages;
    expect(page.totalCount).toBe(6);
    expect(page.edges).toHaveLength(4);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const rest = (
      await ok(MESSAGES, { c: campaign.id, s: 'SENT', first: 4, after: page.pageInfo.endCursor })
    ).messages;
    expect(rest.edges).toHaveLength(2);
    const ids = new Set(
      [...page.edges, ...rest.edges].map((e: { node: { id: string } }) => e.node.id),
    );
    expect(ids.size).toBe(6);
    const node = page.edges[0].node;
    expect(node.providerMessageId).toBeTruthy();
    expect(node.campaign.id).toBe(campaign.id);

    // Visitor.messages, through the loader, newest first.
    const v = await ok(
      `query($id: ID!) { visitor(id: $id) { messages(first: 10) { totalCount edges { node { id status step { name } } } } } }`,
      { id: fr.id },
    );
    expect(v.visitor.messages.totalCount).toBe(3);

    // The unsubscribe link of a message already sent: GET shows a form, POST one-click revokes.
    const token = /\/unsubscribe\/([A-Za-z0-9_.-]+)/.exec(mail.text!)![1];
    const get = await app.http().get(`/unsubscribe/${token}`);
    expect(get.status).toBe(200);
    expect(get.text).toContain('<form method="post"');
    const bad = await app
      .http()
      .post(`/unsubscribe/${token.slice(0, -2)}xx`)
      .type('form')
      .send('List-Unsubscribe=One-Click');
    expect(bad.status).toBe(400);
    const consents = async () =>
      (
        await ok(
          `query($id: ID!) { visitor(id: $id) { consents { channel purpose granted source } } }`,
          {
            id: fr.id,
          },
        )
      ).visitor.consents;
    expect((await consents())[0]).toMatchObject({ granted: true, source: 'form' });
    const post = await app
      .http()
      .post(`/unsubscribe/${token}`)
      .type('form')
      .send('List-Unsubscribe=One-Click');
    expect(post.status).toBe(200);
    expect((await consents())[0]).toMatchObject({
      channel: 'EMAIL',
      purpose: 'MARKETING',
      granted: false,
      source: 'unsubscribe-link',
    });
  }, 90_000);

  it('suppresses too-late steps of a late booking, sends those within the grace', async () => {
    const t0 = Date.now();
    const g = await guest('fr');
    const campaign = await create({
      name: 'Late journey',
      kind: 'STAY_JOURNEY',
      steps: [
        { name: 'a week before', channel: 'EMAIL', anchor: 'ARRIVAL', offset: '-P7D', variants },
        { name: 'just before', channel: 'EMAIL', anchor: 'ARRIVAL', offset: '-PT1S', variants },
      ],
    });
    await ok(ACTIVATE, { id: campaign.id });
    await stay(g.id, t0 + 2 * SECOND, t0 + 86_400_000);
    const rows = await until(async () => {
      const r = await messagesOf(campaign.id);
      return (
        r.length === 2 && r.every((m) => m.status === 'SENT' || m.status === 'SUPPRESSED') && r
      );
    });
    const [weekBefore, justBefore] = rows;
    expect(weekBefore).toMatchObject({ status: 'SUPPRESSED', suppression_reason: 'too-late' });
    expect(justBefore.status).toBe('SENT');
    expect(mailsTo(g.email)).toHaveLength(1);
  }, 60_000);

  it('reschedules the messages of a moved stay and cancels those of a cancelled one', async () => {
    const t0 = Date.now();
    const g = await guest('en');
    const campaign = await create({
      name: 'Moving journey',
      kind: 'STAY_JOURNEY',
      steps: [{ name: 'before', channel: 'EMAIL', anchor: 'ARRIVAL', offset: '-PT1H', variants }],
    });
    await ok(ACTIVATE, { id: campaign.id });
    const ref = `MOVE-${++n}`;
    const stayId = await stay(g.id, t0 + 3 * 3600_000, t0 + 5 * 3600_000, ref);
    const [first] = await until(async () => {
      const r = await messagesOf(campaign.id);
      return r.length === 1 && r;
    });
    expect(first.scheduled_at.getTime()).toBe(t0 + 2 * 3600_000);
    await stay(g.id, t0 + 6 * 3600_000, t0 + 8 * 3600_000, ref);
    const [moved] = await messagesOf(campaign.id);
    expect(moved.id).toBe(first.id);
    expect(moved.status).toBe('SCHEDULED');
    expect(moved.scheduled_at.getTime()).toBe(t0 + 5 * 3600_000);
    await ok(CANCEL_STAY, { id: stayId });
    const [cancelled] = await messagesOf(campaign.id);
    expect(cancelled.status).toBe('CANCELLED');
  });

  it('retries an SMTP 451, fails and suppresses on a 550', async () => {
    const busy = await guest('fr');
    const gone = await guest('fr');
    sink.failRecipient(busy.email, 451, 1);
    sink.failRecipient(gone.email, 550);
    const segment = await taggedSegment(`smtp-${++n}`, [busy.id, gone.id]);
    const campaign = await broadcast(Date.now(), { segmentId: segment });
    await ok(ACTIVATE, { id: campaign.id });
    const rows = await until(async () => {
      const r = await messagesOf(campaign.id);
      return r.length === 2 && r.every((m) => m.status === 'SENT' || m.status === 'FAILED') && r;
    });
    const byVisitor = new Map(rows.map((r) => [r.visitor_id, r]));
    expect(byVisitor.get(busy.id)).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(byVisitor.get(gone.id)).toMatchObject({ status: 'FAILED' });
    expect(byVisitor.get(gone.id)!.last_error).toMatch(/550/);
    const suppressions = app.runtime.app.get(SuppressionService);
    expect(await suppressions.isSuppressed(d.destination.id, gone.email)).toBe(true);
    expect(await suppressions.isSuppressed(d.destination.id, busy.email)).toBe(false);
    expect(mailsTo(busy.email)).toHaveLength(1);
    // Every message final: the broadcast is over.
    await until(
      async () => (await ok(CAMPAIGN, { id: campaign.id })).campaign.status === 'COMPLETED',
    );
  }, 60_000);

  it('marks FAILED, with the reason, a message whose template cannot render for its visitor', async () => {
    const tag = `render-${++n}`;
    const g = await guest('en');
    const segment = await taggedSegment(tag, [g.id]);
    // A broadcast has no stay: the template parses, but `stay` is missing for every visitor.
    const campaign = await create({
      name: `Broken ${tag}`,
      kind: 'BROADCAST',
      sendAt: iso(Date.now()),
      segmentId: segment,
      steps: [
        {
          name: 'news',
          channel: 'EMAIL',
          anchor: 'SEND_AT',
          offset: 'PT0S',
          variants: [{ locale: 'en', subject: 'News', body: 'You stay {{ stay.nights }} nights' }],
        },
      ],
    });
    await ok(ACTIVATE, { id: campaign.id });
    const [row] = await until(async () => {
      const r = await messagesOf(campaign.id);
      return r.length === 1 && r[0].status === 'FAILED' && r;
    });
    expect(row.last_error).toMatch(/stay/);
    expect(mailsTo(g.email)).toHaveLength(0);
  }, 60_000);

  it('rebuilds lost queue state and sends every message exactly once', async () => {
    const tag = `flush-${++n}`;
    const guests = await Promise.all([guest('fr'), guest('en'), guest('fr')]);
    const segment = await taggedSegment(
      tag,
      guests.map((g) => g.id),
    );
    // Due late enough that nothing is sent before Redis "loses" the jobs, even on a slow machine.
    const campaign = await broadcast(Date.now() + 15 * SECOND, { segmentId: segment });
    await ok(ACTIVATE, { id: campaign.id });
    await until(async () => (await messagesOf(campaign.id)).length === 3);
    // Redis loses the delayed jobs; and one worker "died" holding a claim on a message.
    const queue = app.runtime.app.get<Queue>(getQueueToken(QueueName.MESSAGES));
    await queue.obliterate({ force: true });
    const rows = await messagesOf(campaign.id);
    await db.query(
      "UPDATE messages SET status = 'SENDING', claimed_at = now() - interval '1 hour' WHERE id = $1",
      [rows[0].id],
    );
    const report = await app.runtime.app.get(MessageReconciler).reconcile();
    expect(report).toEqual({ released: 1, requeued: 3 });
    // A second pass finds every job in place.
    expect(await app.runtime.app.get(MessageReconciler).reconcile()).toEqual({
      released: 0,
      requeued: 0,
    });
    await until(async () => (await messagesOf(campaign.id)).every((m) => m.status === 'SENT'));
    await sleep(1500);
    for (const g of guests) expect(mailsTo(g.email)).toHaveLength(1);
  }, 60_000);

  it('holds messages while paused and sends them on resume; archive cancels', async () => {
    const tag = `pause-${++n}`;
    const g = await guest('en');
    const segment = await taggedSegment(tag, [g.id]);
    const sendAt = Date.now() + 10 * SECOND;
    const campaign = await broadcast(sendAt, { segmentId: segment });
    // Illegal transitions and edits.
    expect((await app.fails(PAUSE, { id: campaign.id }, marketer)).extensions.code).toBe(
      'CONFLICT',
    );
    await ok(ACTIVATE, { id: campaign.id });
    expect((await app.fails(ACTIVATE, { id: campaign.id }, marketer)).extensions.code).toBe(
      'CONFLICT',
    );
    const edit = await app.fails(
      UPDATE,
      {
        id: campaign.id,
        input: {
          name: 'edited',
          kind: 'BROADCAST',
          sendAt: iso(Date.now()),
          steps: [
            {
              name: 'x',
              channel: 'EMAIL',
              anchor: 'SEND_AT',
              offset: 'PT0S',
              variants: broadcastVariants,
            },
          ],
        },
      },
      marketer,
    );
    expect(edit.extensions.code).toBe('CONFLICT');
    await until(async () => (await messagesOf(campaign.id)).length === 1);
    expect((await ok(PAUSE, { id: campaign.id })).pauseCampaign.status).toBe('PAUSED');
    // Past its time, the paused campaign's message is still held.
    await sleep(Math.max(0, sendAt + 2 * SECOND - Date.now()));
    expect((await messagesOf(campaign.id))[0].status).toBe('SCHEDULED');
    expect(mailsTo(g.email)).toHaveLength(0);
    expect((await ok(ACTIVATE, { id: campaign.id })).activateCampaign.status).toBe('ACTIVE');
    await until(async () => (await messagesOf(campaign.id))[0].status === 'SENT');
    expect(mailsTo(g.email)).toHaveLength(1);

    const later = await broadcast(Date.now() + 3600_000, { segmentId: segment });
    await ok(ACTIVATE, { id: later.id });
    await until(async () => (await messagesOf(later.id)).length === 1);
    expect((await ok(ARCHIVE, { id: later.id })).archiveCampaign.status).toBe('ARCHIVED');
    expect((await messagesOf(later.id))[0].status).toBe('CANCELLED');
    expect((await app.fails(ACTIVATE, { id: later.id }, marketer)).extensions.code).toBe(
      'CONFLICT',
    );
  }, 60_000);

  it('on resume, a held message further past than LATE_GRACE is suppressed too-late, not sent late', async () => {
    const {
      first: early,
      second: recent,
      campaignId,
    } = await broadcastToTwo(Date.now() + 5 * SECOND);
    await ok(PAUSE, { id: campaignId });
    // Paused long enough that one message's time is an hour past (the grace here is 20 s).
    const lateId = (await messagesOf(campaignId)).find((m) => m.visitor_id === early.id)!.id;
    await db.query("UPDATE messages SET scheduled_at = now() - interval '1 hour' WHERE id = $1", [
      lateId,
    ]);
    await ok(ACTIVATE, { id: campaignId });
    const rows = await until(async () => {
      const r = await messagesOf(campaignId);
      return r.every((m) => m.status === 'SENT' || m.status === 'SUPPRESSED') && r;
    });
    const late = rows.find((m) => m.id === lateId)!;
    expect(late).toMatchObject({ status: 'SUPPRESSED', suppression_reason: 'too-late' });
    expect(rows.find((m) => m.id !== lateId)!.status).toBe('SENT');
    await sleep(1000);
    expect(mailsTo(early.email)).toHaveLength(0);
    expect(mailsTo(recent.email)).toHaveLength(1);
  }, 60_000);

  it('keeps to the weekly cap across campaigns, also when several messages are taken at once', async () => {
    // Far ahead: the queue does not fire them, the test hands them to the sender itself.
    const later = Date.now() + 3600_000;
    const cap = { frequencyCapPerWeek: 2 };
    const { first: g, second: h, segmentId, campaignId } = await broadcastToTwo(later, cap);
    const campaigns = [campaignId];
    for (let k = 0; k < 3; k++) campaigns.push(await activeBroadcast(segmentId, later, 2, cap));
    const queue = app.runtime.app.get<Queue>(getQueueToken(QueueName.MESSAGES));
    const ids = async (visitorId: string) => {
      const rows: { id: string }[] = await db.query(
        `SELECT id FROM messages WHERE campaign_id = ANY($1) AND visitor_id = $2 ORDER BY id`,
        [campaigns, visitorId],
      );
      return rows.map((r) => r.id);
    };
    const all = [...(await ids(g.id)), ...(await ids(h.id))];
    await Promise.all(all.map((id) => queue.remove(id)));
    await db.query('UPDATE messages SET scheduled_at = now() WHERE id = ANY($1)', [all]);
    const sender = app.runtime.app.get(MessageSender);

    // g: one after the other — 2 sent, then the cap.
    const gIds = await ids(g.id);
    const one: string[] = [];
    for (const id of gIds) one.push(await sender.send(id, false));
    expect(one).toEqual(['sent', 'sent', 'suppressed', 'suppressed']);
    // h: all four at the same instant — still 2 sent, whichever they are.
    const four = await Promise.all((await ids(h.id)).map((id) => sender.send(id, false)));
    expect(four.filter((o) => o === 'sent')).toHaveLength(2);
    expect(four.filter((o) => o === 'suppressed')).toHaveLength(2);
    const rows: { status: string; suppression_reason: string | null }[] = await db.query(
      'SELECT status, suppression_reason FROM messages WHERE id = ANY($1)',
      [all],
    );
    expect(rows.filter((r) => r.status === 'SUPPRESSED').map((r) => r.suppression_reason)).toEqual(
      Array(4).fill('frequency-cap'),
    );
    await sleep(500);
    expect(mailsTo(g.email)).toHaveLength(2);
    expect(mailsTo(h.email)).toHaveLength(2);
  }, 60_000);

  it("lists a campaign's messages without those of a visitor erased since (never shown again)", async () => {
    const { first: kept, second: gone, campaignId } = await broadcastToTwo(Date.now() + 3600_000);
    await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: gone.id }, d.admin);
    const { messages } = await ok(
      `query($c: ID!) { messages(campaignId: $c, first: 10) {
         totalCount edges { node { status visitor { id } } } } }`,
      { c: campaignId },
    );
    expect(messages.totalCount).toBe(1);
    expect(messages.edges).toEqual([{ node: { status: 'SCHEDULED', visitor: { id: kept.id } } }]);
    // Kept in the outbox, as the campaign's record, cancelled.
    expect((await messagesOf(campaignId)).map((m) => m.status).sort()).toEqual([
      'CANCELLED',
      'SCHEDULED',
    ]);
  }, 60_000);

  it('sends one message per promotion, however often the event comes', async () => {
    const g = await guest('fr');
    const campaign = await create({
      name: 'Thanks',
      kind: 'AMBASSADOR_PROMOTED',
      steps: [
        {
          name: 'thank you',
          channel: 'EMAIL',
          anchor: 'PROMOTION',
          offset: 'PT0S',
          variants: [{ locale: 'fr', subject: 'Merci {{ visitor.firstName }}', body: 'Merci !' }],
        },
      ],
    });
    await ok(ACTIVATE, { id: campaign.id });
    const events = app.runtime.app.get(EventEmitter2);
    const event: AmbassadorPromotedEvent = {
      destinationId: d.destination.id,
      promotions: [
        {
          visitorId: g.id,
          changeId: '4f2b7a52-52a9-4f8e-9b59-2c1c4a5e8d11',
          fromTier: 'ADVOCATE',
          score: 80,
          promotedAt: new Date(),
        },
      ],
    };
    await events.emitAsync(AmbassadorEvents.PROMOTED, event);
    await events.emitAsync(AmbassadorEvents.PROMOTED, event);
    await until(async () => (await messagesOf(campaign.id))[0]?.status === 'SENT');
    await sleep(1000);
    expect(await messagesOf(campaign.id)).toHaveLength(1);
    expect(mailsTo(g.email).map((m) => m.subject)).toEqual([`Merci Guest${g.email.split('-')[1]}`]);
  }, 60_000);

  it('refuses bad definitions with BAD_USER_INPUT and previews what would be sent', async () => {
    const step = { name: 's', channel: 'EMAIL', anchor: 'ARRIVAL', offset: '-P1D', variants };
    const bad = async (input: Record<string, unknown>) =>
      (await app.fails(CREATE, { input }, marketer)).extensions.code;
    expect(
      await bad({
        name: 'x',
        kind: 'STAY_JOURNEY',
        steps: [{ ...step, variants: [{ locale: 'fr', subject: 'x', body: '{% if %}' }] }],
      }),
    ).toBe('BAD_USER_INPUT');
    expect(
      await bad({
        name: 'x',
        kind: 'STAY_JOURNEY',
        steps: [
          { ...step, variants: [{ locale: 'fr', subject: 'x', body: '{{ visitor.fristName }}' }] },
        ],
      }),
    ).toBe('BAD_USER_INPUT');
    expect(
      await bad({ name: 'x', kind: 'STAY_JOURNEY', steps: [{ ...step, anchor: 'SEND_AT' }] }),
    ).toBe('BAD_USER_INPUT');
    expect(
      await bad({ name: 'x', kind: 'BROADCAST', steps: [{ ...step, anchor: 'SEND_AT' }] }),
    ).toBe('BAD_USER_INPUT');
    expect(
      await bad({ name: 'x', kind: 'STAY_JOURNEY', steps: [{ ...step, offset: 'P1DT-2H' }] }),
    ).toBe('BAD_USER_INPUT');
    expect(
      await bad({
        name: 'x',
        kind: 'STAY_JOURNEY',
        segmentId: '4f2b7a52-52a9-4f8e-9b59-2c1c4a5e8d11',
        steps: [step],
      }),
    ).toBe('NOT_FOUND');
    const other = await seedDestination(app, 'Elsewhere');
    const foreign = (
      await app.ok(
        `mutation($f: SegmentFilterInput!) { createSegment(name: "theirs", filter: $f) { id } }`,
        { f: {} },
        other.admin,
      )
    ).createSegment.id;
    expect(await bad({ name: 'x', kind: 'STAY_JOURNEY', segmentId: foreign, steps: [step] })).toBe(
      'NOT_FOUND',
    );
    const analyst = await d.as('ANALYST' as never);
    expect(
      (
        await app.fails(
          CREATE,
          { input: { name: 'x', kind: 'STAY_JOURNEY', steps: [step] } },
          analyst,
        )
      ).extensions.code,
    ).toBe('FORBIDDEN');
    const { campaigns } = await ok('{ campaigns { id } }', {});
    const count = campaigns.length;

    const campaign = await create({ name: 'Preview', kind: 'STAY_JOURNEY', steps: [step] });
    expect((await ok('{ campaigns { id } }', {})).campaigns).toHaveLength(count + 1);
    const g = await guest('fr');
    await stay(g.id, Date.parse('2030-07-14T14:00:00Z'), Date.parse('2030-07-16T10:00:00Z'));
    const preview = (
      await ok(
        `query($c: ID!, $s: ID!, $v: ID!) { previewMessage(campaignId: $c, stepId: $s, visitorId: $v) { subject body locale } }`,
        { c: campaign.id, s: campaign.steps[0].id, v: g.id },
      )
    ).previewMessage;
    expect(preview.locale).toBe('fr');
    expect(preview.subject).toBe(`Guest${g.email.split('-')[1]}, bienvenue`);
    expect(preview.body).toContain('juillet 2030');
    // Another destination sees none of it.
    expect((await app.ok(CAMPAIGN, { id: campaign.id }, other.admin)).campaign).toBeNull();
  }, 60_000);

  it('sends X direct messages to consenting visitors with a TWITTER identity', async () => {
    const lea = await visitor({
      firstName: 'Léa',
      locale: 'fr',
      identities: [{ provider: 'TWITTER', handle: 'lea_m', externalId: '2002' }],
      consents: [consent('TWITTER_DM')],
    });
    const noDm = await visitor({
      firstName: 'Noé',
      locale: 'fr',
      identities: [{ provider: 'TWITTER', handle: 'noe_x', externalId: '4004' }],
      consents: [consent('EMAIL')],
    });
    const campaign = await create({
      name: 'DM broadcast',
      kind: 'BROADCAST',
      sendAt: iso(Date.now()),
      steps: [
        {
          name: 'dm',
          channel: 'TWITTER_DM',
          anchor: 'SEND_AT',
          offset: 'PT0S',
          variants: [{ locale: 'fr', body: 'Bonjour {{ visitor.firstName }} !' }],
        },
      ],
    });
    await ok(ACTIVATE, { id: campaign.id });
    const rows = await until(async () => {
      const r = await messagesOf(campaign.id);
      return (
        r.length === 2 && r.every((m) => m.status === 'SENT' || m.status === 'SUPPRESSED') && r
      );
    });
    const byVisitor = new Map(rows.map((r) => [r.visitor_id, r]));
    expect(byVisitor.get(noDm)).toMatchObject({
      status: 'SUPPRESSED',
      suppression_reason: 'no-consent',
    });
    expect(byVisitor.get(lea)!.status).toBe('SENT');
    const sent = fakeX.dms.filter((m) => m.participant_id === '2002');
    expect(sent).toHaveLength(1);
    expect(sent[0].text).toContain('Bonjour Léa !');
  }, 60_000);

  it('moves steps to the local send time and out of quiet hours across a DST change', async () => {
    await ok(
      'mutation { updateDestination(timeZone: "Europe/Paris", quietStart: "21:00", quietEnd: "08:00") { id } }',
      {},
      d.admin,
    );
    const g = await guest('fr');
    const campaign = await create({
      name: 'DST journey',
      kind: 'STAY_JOURNEY',
      steps: [
        // A week before an arrival after the spring change: 10:00 in winter time.
        {
          name: 'week before',
          channel: 'EMAIL',
          anchor: 'ARRIVAL',
          offset: '-P7D',
          localSendTime: '10:00',
          variants,
        },
        // On arrival at 22:30 local: quiet until 08:00 the next morning, summer time.
        { name: 'arrival', channel: 'EMAIL', anchor: 'ARRIVAL', offset: 'PT0S', variants },
      ],
    });
    await ok(ACTIVATE, { id: campaign.id });
    // Europe/Paris moves to summer time on 28 March 2027.
    await stay(g.id, Date.parse('2027-03-30T20:30:00Z'), Date.parse('2027-04-02T09:00:00Z'));
    const rows = await until(async () => {
      const r = await messagesOf(campaign.id);
      return r.length === 2 && r;
    });
    expect(rows.map((r) => r.scheduled_at.toISOString())).toEqual([
      '2027-03-23T09:00:00.000Z',
      '2027-03-31T06:00:00.000Z',
    ]);
  });

  it('unsubscribing cancels the pending messages of that channel', async () => {
    const g = await guest('fr');
    const campaign = await create({
      name: 'Far journey',
      kind: 'STAY_JOURNEY',
      steps: [
        { name: 'before', channel: 'EMAIL', anchor: 'ARRIVAL', offset: '-P1D', variants },
        { name: 'after', channel: 'EMAIL', anchor: 'DEPARTURE', offset: 'P1D', variants },
      ],
    });
    await ok(ACTIVATE, { id: campaign.id });
    await stay(g.id, Date.now() + 30 * 86_400_000, Date.now() + 32 * 86_400_000);
    const [first] = await until(async () => {
      const r = await messagesOf(campaign.id);
      return r.length === 2 && r;
    });
    const url = app.runtime.app.get(MessageSender).unsubscribeUrl(first.id, g.id, 'EMAIL' as never);
    expect(url.startsWith('https://escale.example/unsubscribe/')).toBe(true);
    const res = await app
      .http()
      .post(new URL(url).pathname)
      .type('form')
      .send('List-Unsubscribe=One-Click');
    expect(res.status).toBe(200);
    expect((await messagesOf(campaign.id)).map((m) => m.status)).toEqual([
      'CANCELLED',
      'CANCELLED',
    ]);
    expect((await ok(CAMPAIGN, { id: campaign.id })).campaign.stats.cancelled).toBe(2);
  });
});
