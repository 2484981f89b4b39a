import { startFakeX, type FakeX, type Scenario } from '../../../../test/support/fake-x/index.js';
import { loadConfig } from '../../../infra/config/config.js';
import {
  PermanentSendError,
  RateLimitedSendError,
  TransientSendError,
  XDmChannel,
} from './x-dm.channel.js';

const metrics = { followers_count: 10, following_count: 10, tweet_count: 10, listed_count: 0 };
const scenario: Scenario = {
  version: 1,
  owner: 'VisitRennes',
  users: [
    { id: '1001', username: 'VisitRennes', name: 'Visit Rennes', public_metrics: metrics },
    { id: '2002', username: 'lea_m', name: 'Léa', public_metrics: metrics },
    {
      id: '3003',
      username: 'closed_dms',
      name: 'Closed',
      public_metrics: metrics,
      accepts_dms: false,
    },
  ],
  posts: [],
};

const dm = (over: Partial<{ messageId: string; participantId: string; text: string }> = {}) => ({
  messageId: 'm-1',
  participantId: '2002',
  text: 'Bienvenue à Rennes, Léa !',
  ...over,
});

describe('XDmChannel against the fake X API', () => {
  let fake: FakeX;
  let channel: XDmChannel;

  beforeAll(async () => {
    fake = await startFakeX(scenario, { userTokens: { 'dm-token': 'VisitRennes' } });
    channel = new XDmChannel(
      loadConfig({ X_DM_ACCESS_TOKEN: 'dm-token', X_API_BASE_URL: fake.url }),
    );
  });

  afterAll(async () => {
    channel.onModuleDestroy();
    await fake.stop();
  });

  beforeEach(() => {
    fake.clearFaults();
    fake.resetRateLimits();
  });

  it('sends the DM as the token’s account and returns the DM event id', async () => {
    const { providerMessageId } = await channel.send(dm());
    expect(fake.dms.at(-1)).toMatchObject({
      dm_event_id: providerMessageId,
      sender_id: '1001',
      participant_id: '2002',
      text: 'Bienvenue à Rennes, Léa !',
    });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'POST',
      endpoint: 'dm_conversations/with/:participant_id/messages',
      status: 201,
    });
  });

  it('reports a recipient who does not take DMs as permanent', async () => {
    const error = await channel.send(dm({ participantId: '3003' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(error).toMatchObject({ responseCode: 403, recipientRejected: true });
    expect(fake.dms.filter((d) => d.participant_id === '3003')).toEqual([]);
  });

  it('reports an unknown user as permanent', async () => {
    const error = await channel.send(dm({ participantId: '9999' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentSendError);
  });

  it('waits for the reset on 429', async () => {
    const resetAt = Math.floor(Date.now() / 1000) + 120;
    fake.fail('dm_conversations/with/:participant_id/messages', { status: 429, resetAt });
    const error = await channel.send(dm()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedSendError);
    expect((error as RateLimitedSendError).resetAt).toEqual(new Date(resetAt * 1000));
  });

  it('retries 5xx and cut connections, not 401/400', async () => {
    fake.fail('dm_conversations/with/:participant_id/messages', { status: 503 });
    expect(await channel.send(dm()).catch((e: unknown) => e)).toBeInstanceOf(TransientSendError);
    fake.fail('dm_conversations/with/:participant_id/messages', { cut: 'before-response' });
    expect(await channel.send(dm()).catch((e: unknown) => e)).toBeInstanceOf(TransientSendError);
    fake.fail('dm_conversations/with/:participant_id/messages', { status: 401 });
    const unauthorized = await channel.send(dm()).catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(PermanentSendError);
    expect(unauthorized).toMatchObject({ responseCode: 401, recipientRejected: false });
    fake.fail('dm_conversations/with/:participant_id/messages', { status: 400 });
    expect(await channel.send(dm()).catch((e: unknown) => e)).toBeInstanceOf(PermanentSendError);
    // Once the faults are spent, the same DM goes through.
    const before = fake.dms.length;
    await channel.send(dm());
    expect(fake.dms.length).toBe(before + 1);
  });

  it('refuses a bad participant id and an empty text without calling X', async () => {
    const before = fake.requests.length;
    await expect(channel.send(dm({ participantId: '@lea_m' }))).rejects.toBeInstanceOf(
      PermanentSendError,
    );
    await expect(channel.send(dm({ text: '  ' }))).rejects.toBeInstanceOf(PermanentSendError);
    expect(fake.requests.length).toBe(before);
  });

  it('fails with a clear reason without a token', async () => {
    const off = new XDmChannel(loadConfig({ X_API_BASE_URL: fake.url }));
    expect(off.enabled).toBe(false);
    await expect(off.send(dm())).rejects.toThrow(/X_DM_ACCESS_TOKEN/);
  });

  it('reports a token X refuses as permanent, not the recipient’s fault', async () => {
    const wrong = new XDmChannel(
      loadConfig({ X_DM_ACCESS_TOKEN: 'revoked', X_API_BASE_URL: fake.url }),
    );
    const error = await wrong.send(dm()).catch((e: unknown) => e);
    wrong.onModuleDestroy();
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(error).toMatchObject({ recipientRejected: false });
  });
});
