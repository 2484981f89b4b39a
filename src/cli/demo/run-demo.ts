import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type AppConfig } from '../../infra/config/config.js';
import { DestinationsService } from '../../modules/destinations/destinations.service.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { DemoApi } from './demo-api.js';
import {
  DEMO_ADMIN_EMAIL,
  DEMO_DESTINATION,
  DEMO_HASHTAG,
  DEMO_LOCALE,
  DEMO_PLACES,
  DEMO_STAY_SOURCE,
  DEMO_TIME_ZONE,
  demoDerbyOptions,
  demoPeriod,
  demoStays,
  demoVisitors,
  stayDates,
  visitorsCsv,
  type DemoPerson,
} from './demo-data.js';

/**
 * What the demo needs of the fake X API (test/support/fake-x). The app build does not contain it:
 * `npm run demo` loads the separately compiled dist/fake-x, the end-to-end test passes the source.
 */
export interface DemoFakeXModule {
  generateDerbyScenario(options: {
    seed: number;
    places: { handle: string; name: string }[];
    start: Date;
    end: Date;
    posts?: number;
    people?: number;
    hashtag?: string;
    recent?: { start: Date; end: Date; posts: number };
  }): { scenario: unknown; people: DemoPerson[] };
  startFakeX(
    scenario: never,
    options: { now?: Date; appTokens?: string[] },
  ): Promise<{ url: string; setNow(at: Date): void; stop(): Promise<void> }>;
}

export interface DemoOptions {
  /** The environment (DATABASE_URL or the embedded default, ESCALE_DATA_DIR, PUBLIC_URL…). */
  env: Record<string, string | undefined>;
  fakeX: DemoFakeXModule;
  out?: (line: string) => void;
}

export interface DemoReport {
  ran: string[];
  destinationId: string;
  adminEmail: string;
  adminPassword: string;
  outbox: string;
  interactions: number;
  durationMs: number;
}

const X_TOKEN = 'demo-bearer-token';
/** Visitors whose X handle is on their profile (people of the derby scenario). */
const VISITORS_WITH_HANDLES = 300;
const STAY_BATCH = 25;
const DEMO_VISITORS = 500;

/**
 * `npm run demo`: the whole story on one destination, through the public GraphQL API of an
 * in-process Escale (the embedded default, or DATABASE_URL), with a fake X API serving a month of
 * the Social Derby. A second run deletes the previous demo destination and starts over.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = Date.now();
  const out = options.out ?? ((line: string) => console.log(line));
  const ran: string[] = [];
  let lap = started;
  const done = (step: string, detail: string) => {
    ran.push(step);
    const now = Date.now();
    out(`✓ ${step} (${((now - lap) / 1000).toFixed(1)} s): ${detail}`);
    lap = now;
  };

  const period = demoPeriod(new Date());
  const derbyOptions = demoDerbyOptions(period);
  const derby = options.fakeX.generateDerbyScenario(derbyOptions);
  // The fake's clock starts at the beginning of the month: search/recent sees the 7 days before
  // its clock, so the month is read by polling as the clock moves through it (see ingestion).
  const fake = await options.fakeX.startFakeX(derby.scenario as never, {
    now: period.from,
    appTokens: [X_TOKEN],
  });
  let runtime: Runtime | undefined;
  try {
    const base = loadConfig({ ...options.env, ROLE: 'all' });
    const config: AppConfig = {
      ...base,
      role: 'all',
      xApiBaseUrl: fake.url,
      xBearerToken: X_TOKEN,
      // The demo polls with syncSocialNow as it moves the fake's clock; no scheduled poll between.
      socialPollIntervalMs: 24 * 3600_000,
      // Request logs would drown the story; LOG_LEVEL still wins when set.
      logLevel: options.env.LOG_LEVEL ? base.logLevel : 'warn',
    };
    out(
      config.embedded
        ? `Escale, embedded mode: data in ${resolve(config.dataDir)}`
        : 'Escale on DATABASE_URL',
    );
    runtime = await createRuntime(config, { quiet: true, skipBootstrap: true, log: () => {} });
    await runtime.app.listen(0, '127.0.0.1');
    const port = (runtime.app.getHttpServer().address() as AddressInfo).port;

    // ---- reset and destination: no GraphQL operation creates or deletes a destination; this
    // is the path of `npm run cli -- delete-destination / create-destination`.
    const destinations = runtime.app.get(DestinationsService);
    const previous = await destinations.findByNameOrId(DEMO_DESTINATION);
    if (previous) {
      await destinations.deleteDestination(previous.id);
      done('reset', `deleted the previous demo destination ${DEMO_DESTINATION} and all its data`);
    }
    const adminPassword = randomBytes(12).toString('base64url');
    const { destination } = await destinations.createDestination({
      name: DEMO_DESTINATION,
      timeZone: DEMO_TIME_ZONE,
      locale: DEMO_LOCALE,
      adminEmail: DEMO_ADMIN_EMAIL,
      adminPassword,
    });
    done(
      'destination',
      `${DEMO_DESTINATION} (${DEMO_TIME_ZONE}, ${DEMO_LOCALE}), admin ${DEMO_ADMIN_EMAIL}`,
    );

    // ---- from here on, only the public API.
    const api = new DemoApi(`http://127.0.0.1:${port}/graphql`);
    await api.login(DEMO_ADMIN_EMAIL, adminPassword);

    for (const place of DEMO_PLACES) {
      await api.request(
        `mutation UpsertPlace($name: String!, $kind: PlaceKind!, $handle: String, $lat: Float, $lon: Float, $interests: [String!]) {
          upsertPlace(name: $name, kind: $kind, twitterHandle: $handle, latitude: $lat, longitude: $lon, interestSlugs: $interests) { id }
        }`,
        {
          name: place.name,
          kind: place.kind,
          handle: place.handle,
          lat: place.latitude,
          lon: place.longitude,
          interests: place.interests,
        },
      );
    }
    done(
      'places',
      `${DEMO_PLACES.length} competing places of the 2016 Social Derby: ${DEMO_PLACES.map((p) => `${p.name} @${p.handle}`).join(', ')}`,
    );

    const visitors = demoVisitors(derby.people, DEMO_VISITORS, VISITORS_WITH_HANDLES);
    const imported = await api.request<{
      importVisitors: { created: number; updated: number; rejected: unknown[] };
    }>(
      'mutation Import($csv: String!) { importVisitors(csv: $csv) { created updated rejected { line errors } } }',
      { csv: visitorsCsv(visitors) },
    );
    const report = imported.importVisitors;
    if (report.rejected.length)
      throw new Error(`importVisitors rejected lines: ${JSON.stringify(report.rejected)}`);
    done(
      'visitors',
      `${report.created} imported (French and English, ${visitors.filter((v) => v.twitterHandle).length} with an X handle, ${visitors.filter((v) => v.consentEmailMarketing).length} consenting to e-mail marketing)`,
    );

    const segment = await api.request<{ createSegment: { id: string; size: number } }>(
      `mutation Segment($filter: SegmentFilterInput!) {
        createSegment(name: "E-mail marketing consent", description: "Visitors who accept our e-mails", filter: $filter) { id size }
      }`,
      { filter: { hasConsent: { channel: 'EMAIL', purpose: 'MARKETING' } } },
    );
    done('segment', `"E-mail marketing consent", ${segment.createSegment.size} visitors`);

    // ---- the journey campaign, before the stays: each booking schedules its messages.
    const created = await api.request<{ createCampaign: { id: string } }>(
      'mutation Campaign($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
      { input: journeyCampaign(segment.createSegment.id) },
    );
    const campaignId = created.createCampaign.id;
    const active = await api.request<{ activateCampaign: { status: string } }>(
      'mutation Activate($id: ID!) { activateCampaign(id: $id) { status } }',
      { id: campaignId },
    );
    done(
      'campaign',
      `"Votre séjour à Rennes" (STAY_JOURNEY, e-mail, fr + en): before (-7 days), during (+1 day), after (+2 days) — ${active.activateCampaign.status}`,
    );

    const stays = demoStays(visitors);
    for (let i = 0; i < stays.length; i += STAY_BATCH) {
      const batch = stays.slice(i, i + STAY_BATCH);
      const now = Date.now();
      const variables: Record<string, unknown> = {};
      batch.forEach((stay, k) => {
        const { arrivalAt, departureAt } = stayDates(stay, now);
        variables[`s${k}`] = {
          visitor: { email: stay.visitorEmail },
          arrivalAt: arrivalAt.toISOString(),
          departureAt: departureAt.toISOString(),
          partySize: stay.partySize,
          source: DEMO_STAY_SOURCE,
          externalRef: stay.externalRef,
        };
      });
      const params = batch.map((_, k) => `$s${k}: StayInput!`).join(', ');
      const fields = batch.map((_, k) => `s${k}: upsertStay(input: $s${k}) { id }`).join(' ');
      await api.request(`mutation Stays(${params}) { ${fields} }`, variables);
    }
    const byMoment = (m: string) => stays.filter((s) => s.moment.startsWith(m)).length;
    done(
      'stays',
      `${stays.length} stays around today: ${byMoment('before') + byMoment('upcoming')} ahead, ${byMoment('during') + byMoment('current')} in Rennes now, ${byMoment('after') + byMoment('past')} over`,
    );

    // ---- social: the derby hashtag and every street's own posts, on top of the mentions of the
    // places' handles that the poller tracks by itself.
    await api.request(
      'mutation Tags($tags: [String!]) { updateDestination(trackedHashtags: $tags) { id } }',
      {
        tags: [DEMO_HASHTAG],
      },
    );
    for (const place of DEMO_PLACES)
      await api.request(
        'mutation Track($value: String!) { trackSource(kind: ACCOUNT, value: $value) { id } }',
        { value: place.handle },
      );
    done(
      'social tracking',
      `#${DEMO_HASHTAG}, mentions of the ${DEMO_PLACES.length} places' handles, and their own posts (from:)`,
    );

    // The fake X API answers search/recent for the 7 days before its clock, like X. The demo
    // moves that clock through the month in 6-day steps and polls at each (syncSocialNow, the
    // poller's real path: since_id cursors, pages, the ingest pipeline), as a poller running
    // through April would have.
    const checkpoints: Date[] = [];
    for (let t = period.from.getTime() + 6 * 86_400_000; ; t += 6 * 86_400_000) {
      checkpoints.push(new Date(Math.min(t, period.to.getTime())));
      if (t >= period.to.getTime()) break;
    }
    const sync = async () => {
      const status = await api.request<{ syncSocialNow: { lastError: string | null } }>(
        'mutation Sync { syncSocialNow { lastError } }',
      );
      if (status.syncSocialNow.lastError)
        throw new Error(`syncSocialNow: ${status.syncSocialNow.lastError}`);
    };
    for (const at of checkpoints) {
      fake.setNow(at);
      await sync();
    }
    const count = async (since: Date, until: Date) =>
      (
        await api.request<{ interactions: { totalCount: number } }>(
          'query Count($since: DateTime, $until: DateTime) { interactions(filter: { since: $since, until: $until }, first: 1) { totalCount } }',
          { since: since.toISOString(), until: until.toISOString() },
        )
      ).interactions.totalCount;
    const interactions = await count(period.from, period.to);
    // Then this week, with the fake's clock back at the real time: ambassador scores look at the
    // last 90 days, which April is not part of.
    fake.setNow(new Date());
    await sync();
    const recent = await count(derbyOptions.recent.start, new Date());
    done(
      'ingestion',
      `${interactions} posts of ${monthName(period.from)} ingested from the fake X API in ${checkpoints.length} polls (its clock moved to ${checkpoints.map((c) => c.toISOString().slice(0, 10)).join(', ')}), then ${recent} posts of the last 6 days (its clock at now)`,
    );

    const candidates = await api.request<{ interactions: { edges: { node: { id: string } }[] } }>(
      `query WallCandidates($tag: String) {
          interactions(filter: { kinds: [POST, MENTION], hashtag: $tag }, first: 20) { edges { node { id } } }
        }`,
      { tag: DEMO_HASHTAG },
    );
    for (const { node } of candidates.interactions.edges)
      await api.request(
        'mutation Approve($id: ID!) { moderateWallPost(interactionId: $id, status: APPROVED) { id } }',
        { id: node.id },
      );
    done('wall moderation', `${candidates.interactions.edges.length} posts approved for the wall`);

    await api.request('mutation Recompute { recomputeAmbassadorScores }');
    done('ambassador scores', 'recomputed');

    await printDerby(api, out, period);
    ran.push('derby');

    await printAmbassadors(api, out);
    ran.push('ambassadors leaderboard');

    const filter = {
      interestsAny: ['gastronomy'],
      hasConsent: { channel: 'EMAIL', purpose: 'MARKETING' },
    };
    const preview = await api.request<{
      previewSegment: {
        count: number;
        sample: { displayName: string }[];
        byCountry: { key: string; count: number }[];
        byPhase: { key: string; count: number }[];
      };
    }>(
      `query Preview($filter: SegmentFilterInput!) {
        previewSegment(filter: $filter) { count sample { displayName } byCountry { key count } byPhase { key count } }
      }`,
      { filter },
    );
    const p = preview.previewSegment;
    out('');
    out(`Segment preview — ${JSON.stringify(filter)}`);
    out(
      `  ${p.count} visitors, e.g. ${p.sample
        .slice(0, 5)
        .map((s) => s.displayName)
        .join(', ')}`,
    );
    out(`  by country: ${p.byCountry.map((c) => `${c.key} ${c.count}`).join(', ')}`);
    out(`  by phase:   ${p.byPhase.map((c) => `${c.key} ${c.count}`).join(', ')}`);
    ran.push('segment preview');

    const outbox = resolve(config.dataDir, 'outbox');
    out('');
    const due = stays.filter(
      (s) =>
        s.moment.endsWith('-due') &&
        visitors.find((v) => v.email === s.visitorEmail)?.consentEmailMarketing,
    ).length;
    const stats = await waitForDueMessages(api, campaignId, due);
    // The outbox keeps earlier runs' and other destinations' e-mails: count this run's apart.
    const files = existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')) : [];
    const fresh = files.filter((f) => statSync(join(outbox, f)).mtimeMs >= started).length;
    out(
      `Campaign messages: ${stats.sent} sent, ${stats.scheduled} scheduled for later stays, ${stats.suppressed} suppressed (a step already past is not sent late), ${stats.failed} failed`,
    );
    out(
      config.smtpUrl
        ? `E-mails went to SMTP_URL (no .eml outbox).`
        : `Outbox: ${outbox} (${fresh} new .eml files, ${files.length} in all; open one in a mail client)`,
    );
    ran.push('outbox');

    const publicUrl = base.publicUrl;
    out('');
    out(`GraphiQL (after \`npm start\`, which keeps this data): ${publicUrl}/graphql`);
    out(
      `  log in: mutation { login(email: "${DEMO_ADMIN_EMAIL}", password: "${adminPassword}") { accessToken } }`,
    );
    out('  then set the headers to {"Authorization": "Bearer <accessToken>"} and try:');
    for (const example of EXAMPLES(period)) out(`    ${example}`);
    out(`Showroom wall: ${publicUrl}/wall/${destination.id}`);
    ran.push('wall');

    const durationMs = Date.now() - started;
    out('');
    out(`Demo done in ${(durationMs / 1000).toFixed(1)} s. Ran: ${ran.join(', ')}.`);
    return {
      ran,
      destinationId: destination.id,
      adminEmail: DEMO_ADMIN_EMAIL,
      adminPassword,
      outbox,
      interactions,
      durationMs,
    };
  } finally {
    await runtime?.stop();
    await fake.stop();
  }
}

function monthName(date: Date): string {
  return date.toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: DEMO_TIME_ZONE });
}

const EXAMPLES = (period: { from: Date; to: Date }) => [
  '{ places { name twitterHandle } }',
  '{ visitors(filter: { phases: [BEFORE] }, first: 5) { totalCount edges { node { displayName stays { arrivalAt } } } } }',
  '{ interactions(filter: { hashtag: "RennesSocialDerby" }, first: 5) { edges { node { text author { handle } metrics { likes shares } } } } }',
  '{ audienceInsights { visitorCount byCountry { key count } byPhase { key count } } }',
  `{ derby(input: { handles: ["rue_chapitre", "place_lices"], from: "${period.from.toISOString()}", to: "${period.to.toISOString()}" }) { awards { trophy handle value } } }`,
  '{ ambassadors(first: 5) { edges { node { displayName ambassador { score tier components { reach engagement } } } } } }',
];

/** A before / during / after journey by e-mail, in French and English (Liquid templates). */
function journeyCampaign(segmentId: string) {
  // date_local: the messaging module's filter, in the visitor's locale and time zone.
  const arrival = '{{ stay.arrivalAt | date_local: "long" }}';
  const departure = '{{ stay.departureAt | date_local: "long" }}';
  return {
    name: 'Votre séjour à Rennes',
    kind: 'STAY_JOURNEY',
    segmentId,
    steps: [
      {
        name: 'Avant le séjour',
        channel: 'EMAIL',
        anchor: 'ARRIVAL',
        offset: '-P7D',
        variants: [
          {
            locale: 'fr',
            subject: '{{ visitor.firstName }}, Rennes vous attend le ' + arrival,
            body: `Bonjour {{ visitor.firstName }},\n\nPlus qu’une semaine avant votre arrivée le ${arrival}. Place des Lices, le marché du samedi ; rue Saint-Georges, les crêperies ; et ce mois-ci, votez pour votre rue préférée au #RennesSocialDerby !\n\nÀ très vite,\nL’office de tourisme de Rennes`,
          },
          {
            locale: 'en',
            subject: '{{ visitor.firstName }}, Rennes is waiting for you on ' + arrival,
            body: `Hello {{ visitor.firstName }},\n\nOne week to go before you arrive on ${arrival}. The Saturday market on place des Lices, the crêperies of rue Saint-Georges, and this month: vote for your favourite street in the #RennesSocialDerby!\n\nSee you soon,\nRennes tourist office`,
          },
        ],
      },
      {
        name: 'Pendant le séjour',
        channel: 'EMAIL',
        anchor: 'ARRIVAL',
        offset: 'P1D',
        variants: [
          {
            locale: 'fr',
            subject: 'Bienvenue à Rennes, {{ visitor.firstName }} !',
            body: `Bonjour {{ visitor.firstName }},\n\nNous espérons que votre première journée s’est bien passée. Jusqu’au ${departure}, partagez vos photos avec #RennesSocialDerby : les plus belles passent sur le mur de l’office.`,
          },
          {
            locale: 'en',
            subject: 'Welcome to Rennes, {{ visitor.firstName }}!',
            body: `Hello {{ visitor.firstName }},\n\nWe hope your first day went well. Until ${departure}, share your pictures with #RennesSocialDerby: the best ones go up on the tourist office's wall.`,
          },
        ],
      },
      {
        name: 'Après le séjour',
        channel: 'EMAIL',
        anchor: 'DEPARTURE',
        offset: 'P2D',
        variants: [
          {
            locale: 'fr',
            subject: 'Merci de votre visite, {{ visitor.firstName }}',
            body: `Bonjour {{ visitor.firstName }},\n\nMerci d’avoir séjourné à Rennes du ${arrival} au ${departure}. Racontez-nous votre séjour, et revenez pour les Transmusicales !`,
          },
          {
            locale: 'en',
            subject: 'Thank you for visiting, {{ visitor.firstName }}',
            body: `Hello {{ visitor.firstName }},\n\nThank you for staying in Rennes from ${arrival} to ${departure}. Tell us about your stay, and come back for the Transmusicales!`,
          },
        ],
      },
    ],
  };
}

interface CampaignStats {
  scheduled: number;
  queued: number;
  sent: number;
  failed: number;
  suppressed: number;
  cancelled: number;
}

/** The steps placed a minute after the stays were written: wait until they are sent (≤ 2 min). */
async function waitForDueMessages(
  api: DemoApi,
  campaignId: string,
  due: number,
): Promise<CampaignStats> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { campaign } = await api.request<{ campaign: { stats: CampaignStats } }>(
      'query Stats($id: ID!) { campaign(id: $id) { stats { scheduled queued sent failed suppressed cancelled } } }',
      { id: campaignId },
    );
    if (campaign.stats.sent + campaign.stats.failed >= due || Date.now() > deadline)
      return campaign.stats;
    await sleep(1000);
  }
}

interface DerbyAnswer {
  derby: {
    standings: {
      handle: string;
      followers: number;
      following: number;
      posts: number;
      shares: number;
      engagementRate: number;
    }[];
    awards: {
      trophy: string;
      handle: string;
      value: number;
      post: { externalId: string; text: string | null } | null;
    }[];
  };
}

async function printDerby(
  api: DemoApi,
  out: (line: string) => void,
  period: { from: Date; to: Date },
): Promise<void> {
  const { derby } = await api.request<DerbyAnswer>(
    `query Derby($input: DerbyInput!) {
      derby(input: $input) {
        standings { handle followers following posts shares engagementRate }
        awards { trophy handle value post { externalId text } }
      }
    }`,
    {
      input: {
        handles: DEMO_PLACES.map((p) => p.handle),
        from: period.from.toISOString(),
        to: period.to.toISOString(),
      },
    },
  );
  const name = new Map(DEMO_PLACES.map((p) => [p.handle.toLowerCase(), p.name]));
  out('');
  out(`Social Derby — ${monthName(period.from)}`);
  out(
    `  ${'handle'.padEnd(16)} ${'place'.padEnd(24)} ${'followers'.padStart(9)} ${'following'.padStart(9)} ${'posts'.padStart(5)} ${'shares'.padStart(6)} ${'engagement'.padStart(10)}`,
  );
  for (const s of derby.standings)
    out(
      `  @${s.handle.padEnd(15)} ${(name.get(s.handle.toLowerCase()) ?? '').padEnd(24)} ${String(s.followers).padStart(9)} ${String(s.following).padStart(9)} ${String(s.posts).padStart(5)} ${String(s.shares).padStart(6)} ${s.engagementRate.toFixed(4).padStart(10)}`,
    );
  out('Awards');
  for (const a of derby.awards)
    out(
      `  award ${a.trophy} @${a.handle} (${name.get(a.handle.toLowerCase()) ?? '?'}) value=${round(a.value)}${a.post ? ` post=${a.post.externalId} “${(a.post.text ?? '').slice(0, 60)}”` : ''}`,
    );
}

async function printAmbassadors(api: DemoApi, out: (line: string) => void): Promise<void> {
  const { ambassadors } = await api.request<{
    ambassadors: {
      totalCount: number;
      edges: {
        node: {
          displayName: string;
          identities: { handle: string | null }[];
          ambassador: {
            score: number;
            tier: string;
            rank: number | null;
            components: Record<string, number>;
          };
        };
      }[];
    };
  }>(
    `query Top {
      ambassadors(first: 10) {
        totalCount
        edges { node { displayName identities { handle }
          ambassador { score tier rank components { reach ratio amplification engagement activity sentiment recency } } } }
      }
    }`,
  );
  out('');
  out(`Top ten ambassadors (of ${ambassadors.totalCount} scored)`);
  for (const { node } of ambassadors.edges) {
    const a = node.ambassador;
    const handle = node.identities.find((i) => i.handle)?.handle;
    const components = Object.entries(a.components)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ');
    out(
      `  #${a.rank ?? '-'} ${node.displayName}${handle && node.displayName !== `@${handle}` ? ` @${handle}` : ''} — ${a.score.toFixed(1)} ${a.tier} (${components})`,
    );
  }
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
