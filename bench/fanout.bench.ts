import { randomUUID } from 'node:crypto';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import pg from 'pg';
import { QueueName } from '../src/infra/queue/queue.constants.js';
import type { AuthContext } from '../src/modules/access/auth-context.js';
import { Role } from '../src/modules/access/user.entity.js';
import {
  ACTIVATION_CHUNK,
  CampaignScheduler,
} from '../src/modules/campaigns/campaign-scheduler.service.js';
import { CampaignKind } from '../src/modules/campaigns/campaign.entity.js';
import { StepAnchor } from '../src/modules/campaigns/campaign-step.entity.js';
import { CampaignsService } from '../src/modules/campaigns/campaigns.service.js';
import { DestinationsService } from '../src/modules/destinations/destinations.service.js';
import { InterestsService } from '../src/modules/interests/interests.service.js';
import { Channel } from '../src/modules/visitors/consent.entity.js';
import { benchRuntime, report } from './harness.js';
import { generatePopulation } from './segments.bench.js';

const VISITORS = 300_000;
const TARGET = 3_500;

const variants = [
  {
    locale: 'fr',
    subject: 'Bientôt à {{ destination.name }}, {{ visitor.firstName }}',
    body: 'Bonjour {{ visitor.firstName }}, arrivée le {{ stay.arrivalAt | date_local }}.',
  },
  {
    locale: 'en',
    subject: 'Soon in {{ destination.name }}, {{ visitor.firstName }}',
    body: 'Hello {{ visitor.firstName }}, you arrive on {{ stay.arrivalAt | date_local }}.',
  },
];

/**
 * `npm run bench -- fanout`: activating a 3-step STAY_JOURNEY over 300,000 generated visitors
 * (the segments benchmark's population: 0–3 stays each, 14 months back to 7 months ahead). The
 * activation scan runs chunk after chunk in this process, as the campaigns worker would: segment
 * page, stays, send times (zones, local send time, quiet hours, too-late), one INSERT ... SELECT
 * FROM unnest per chunk, addBulk of the delayed jobs. Templates are parsed once at creation.
 * Baseline: the same rows written by one bare INSERT ... SELECT (send time = anchor + offset in
 * SQL, no zones) into a copy of the table, then the same jobs by bare addBulk.
 */
export async function benchFanout(): Promise<void> {
  const visitors = Number(process.env.FANOUT_BENCH_VISITORS) || VISITORS;
  const { runtime, url, drop } = await benchRuntime();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const baselineQueue = new Queue(`fanout-baseline-${randomUUID()}`, {
    connection: { url: process.env.REDIS_URL || 'redis://127.0.0.1:6379' },
  });
  try {
    const { destination } = await runtime.app.get(DestinationsService).createDestination({
      name: 'Bench',
      adminEmail: 'bench@example.org',
      adminPassword: 'bench password 1',
    });
    await pool.query(
      "UPDATE destinations SET quiet_start = '21:00', quiet_end = '08:00' WHERE id = $1",
      [destination.id],
    );
    const auth: AuthContext = {
      destinationId: destination.id,
      principal: { kind: 'user', userId: randomUUID(), role: Role.ADMIN },
    };
    const interestIds = (await runtime.app.get(InterestsService).list(auth)).map((i) => i.id);
    console.log(`generating ${visitors.toLocaleString('en')} visitors…`);
    const client = await pool.connect();
    try {
      await generatePopulation(client, destination.id, interestIds, visitors);
    } finally {
      client.release();
    }

    const campaigns = runtime.app.get(CampaignsService);
    const scheduler = runtime.app.get(CampaignScheduler);
    const steps = [
      { name: 'a week before', anchor: StepAnchor.ARRIVAL, offset: '-P7D', localSendTime: '10:00' },
      { name: 'on arrival', anchor: StepAnchor.ARRIVAL, offset: 'PT2H', localSendTime: null },
      { name: 'after', anchor: StepAnchor.DEPARTURE, offset: 'P3D', localSendTime: '18:30' },
    ].map((s) => ({ ...s, channel: Channel.EMAIL, variants }));
    const campaign = await campaigns.create(auth, {
      name: 'Fanout',
      kind: CampaignKind.STAY_JOURNEY,
      steps,
    });
    const active = await campaigns.activate(auth, campaign.id);
    // The activation job it enqueued is never processed (API role): the scan runs here, timed.
    const loaded = { ...active, steps: await scheduler.steps(campaign.id) };
    const epoch = loaded.activatedAt!.getTime();
    let after = '';
    let written = 0;
    let chunks = 0;
    const started = process.hrtime.bigint();
    for (;;) {
      const r = await scheduler.activateChunk({
        campaignId: campaign.id,
        destinationId: destination.id,
        afterVisitorId: after,
        epoch,
      });
      written += r.messages;
      chunks++;
      if (r.visitors < ACTIVATION_CHUNK || !r.last) break;
      after = r.last;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { rows: byStatus } = await pool.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM messages WHERE campaign_id = $1 GROUP BY status ORDER BY status',
      [campaign.id],
    );
    console.log(
      `activation: ${chunks} chunks of ${ACTIVATION_CHUNK} visitors, ${written.toLocaleString('en')} messages in ${seconds.toFixed(1)} s (${byStatus.map((r) => `${r.status} ${r.n.toLocaleString('en')}`).join(', ')})`,
    );

    // Baseline: the same rows by one bare INSERT ... SELECT, then bare addBulk of their jobs.
    await pool.query('CREATE TABLE bench_messages (LIKE messages INCLUDING ALL)');
    const baseStarted = process.hrtime.bigint();
    const { rows: inserted } = await pool.query<{ id: string; scheduled_at: Date }>(
      `INSERT INTO bench_messages (destination_id, campaign_id, step_id, visitor_id, stay_id,
                                   occurrence, channel, status, scheduled_at)
       SELECT s.destination_id, st.campaign_id, st.id, s.visitor_id, s.id, s.id::text, st.channel,
              'SCHEDULED',
              CASE st.anchor WHEN 'ARRIVAL' THEN s.arrival_at ELSE s.departure_at END
                + (CASE WHEN st."offset" LIKE '-%' THEN -1 ELSE 1 END)
                  * replace(st."offset", '-', '')::interval
         FROM visitors v
         JOIN stays s ON s.visitor_id = v.id AND s.status = 'BOOKED'
                     AND s.departure_at >= now() - interval '1 hour' - interval '3 days' - interval '2 days'
         CROSS JOIN campaign_steps st
        WHERE v.destination_id = $1 AND v.erased_at IS NULL AND st.campaign_id = $2
       ON CONFLICT DO NOTHING
       RETURNING id, scheduled_at`,
      [destination.id, campaign.id],
    );
    const now = Date.now();
    for (let i = 0; i < inserted.length; i += 1000) {
      await baselineQueue.addBulk(
        inserted.slice(i, i + 1000).map((m) => ({
          name: 'send',
          data: { id: m.id },
          opts: { jobId: m.id, delay: Math.max(0, m.scheduled_at.getTime() - now) },
        })),
      );
    }
    const baseSeconds = Number(process.hrtime.bigint() - baseStarted) / 1e9;
    console.log(
      `baseline: ${inserted.length.toLocaleString('en')} rows in ${baseSeconds.toFixed(1)} s`,
    );
    const rate = written / seconds;
    report('fanout (messages scheduled)', rate, inserted.length / baseSeconds, 'messages/s');
    console.log(
      `target ≥ ${TARGET.toLocaleString('en')} messages/s: ${rate >= TARGET ? 'met' : 'NOT met'}`,
    );
  } finally {
    await baselineQueue.obliterate({ force: true }).catch(() => undefined);
    await baselineQueue.close();
    for (const name of [QueueName.CAMPAIGNS, QueueName.MESSAGES]) {
      await runtime.app
        .get<Queue>(getQueueToken(name))
        .obliterate({ force: true })
        .catch(() => undefined);
    }
    await pool.end();
    await drop();
  }
}
