import nodemailer from 'nodemailer';
import { startSmtpSink } from '../test/support/smtp-sink.js';
import { loadConfig } from '../src/infra/config/config.js';
import { EmailChannel, messageIdHeader } from '../src/modules/messaging/channels/email.channel.js';
import {
  type RenderContext,
  TemplateRenderer,
} from '../src/modules/messaging/rendering/template-renderer.js';
import { signUnsubscribeToken } from '../src/modules/messaging/unsubscribe/unsubscribe-token.js';
import { opsPerSecond, report } from './harness.js';

const N = 20_000;
const WARM_UP = 500;
const ROUNDS = 10;
const POOL = 5;
/** Sends in flight: enough to keep every pooled connection busy. */
const CONCURRENCY = 50;
const FROM = 'Rennes <hello@rennes.example>';
const SECRET = 'bench-unsubscribe-secret-0123456789abcdef';

const VARIANTS = [
  {
    locale: 'fr',
    subject: 'J-7 : {{ visitor.firstName }}, Rennes vous attend',
    body: `Bonjour {{ visitor.firstName }},

Vous arrivez le {{ stay.arrivalAt | date_local: "long" }} pour {{ stay.nights }} nuits{% if stay.place %} au {{ stay.place.name }}{% endif %}.

Pour vous qui aimez {{ visitor.topInterests | map: "label" | join: " et " }} :
{% for p in places %}- {{ p.name }}{% if p.handle %} (@{{ p.handle }}){% endif %}
{% endfor %}
À très vite à {{ destination.name }} !`,
  },
  {
    locale: 'en',
    subject: '{{ visitor.firstName }}, Rennes is a week away',
    body: `Hello {{ visitor.firstName }},

You arrive on {{ stay.arrivalAt | date_local: "long" }} for {{ stay.nights }} nights.
{% for p in places %}- {{ p.name }}
{% endfor %}
See you soon in {{ destination.name }}!`,
  },
];

function contextFor(i: number, unsubscribeUrl: string): RenderContext {
  const arrivalAt = new Date(Date.UTC(2026, 6, 1 + (i % 60), 14));
  return {
    visitor: {
      firstName: `Visiteur${i}`,
      lastName: 'Martin',
      displayName: `Visiteur${i} M.`,
      locale: i % 3 === 0 ? 'en-GB' : 'fr-FR',
      topInterests: [
        { slug: 'gastronomy', label: 'la gastronomie' },
        { slug: 'heritage', label: 'le patrimoine' },
      ],
    },
    stay: {
      arrivalAt,
      departureAt: new Date(arrivalAt.getTime() + 3 * 86_400_000),
      nights: 3,
      place: { name: 'Hôtel des Lices' },
    },
    destination: { name: 'Rennes' },
    places: [
      { name: 'Marché des Lices', handle: 'marchedeslices', interests: ['gastronomy'] },
      { name: 'Parlement de Bretagne', handle: null, interests: ['heritage'] },
      { name: 'Les Champs Libres', handle: 'champslibres', interests: ['heritage'] },
    ],
    unsubscribeUrl,
  };
}

/**
 * The send path of a campaign step, minus the database: render the visitor's variant with
 * TemplateRenderer, sign the unsubscribe link, send through EmailChannel's SMTP pool into an
 * in-process smtp-server sink. Baseline: a bare nodemailer pool of the same size sending the
 * same (already rendered) messages with the same headers.
 */
export async function benchSend(): Promise<void> {
  const sink = await startSmtpSink({ parse: false });
  const renderer = new TemplateRenderer();
  const channel = new EmailChannel(
    loadConfig({ SMTP_URL: sink.url, SMTP_MAX_CONNECTIONS: String(POOL), MAIL_FROM: FROM }),
  );
  const rendered: {
    id: string;
    to: string;
    subject: string;
    text: string;
    html: string;
    url: string;
  }[] = [];
  const sendOne = async (i: number, keep: boolean) => {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const token = signUnsubscribeToken({ messageId: id, visitorId: id, channel: 'EMAIL' }, SECRET);
    const url = `https://crm.example.org/unsubscribe/${token}`;
    const context = contextFor(i, url);
    const variant = renderer.pickVariant(VARIANTS, context.visitor.locale, 'fr');
    const out = renderer.render(variant, context, {
      locale: context.visitor.locale!,
      timeZone: 'Europe/Paris',
    });
    const to = `visitor${i}@example.org`;
    if (keep) rendered.push({ id, to, subject: out.subject!, text: out.text, html: out.html, url });
    await channel.send({
      messageId: id,
      to,
      subject: out.subject!,
      text: out.text,
      html: out.html,
      unsubscribeUrl: url,
      unsubscribeMailto: `mailto:unsubscribe@crm.example.org?subject=${token}`,
    });
  };

  const bare = nodemailer.createTransport({ url: sink.url, pool: true, maxConnections: POOL });
  const bareSend = (m: (typeof rendered)[number]) =>
    bare.sendMail({
      from: FROM,
      to: m.to,
      subject: m.subject,
      text: m.text,
      html: m.html,
      messageId: messageIdHeader(m.id),
      list: { unsubscribe: [[m.url, 'mailto:unsubscribe@crm.example.org']] },
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
  const timed = async (fn: () => Promise<unknown>) => {
    const started = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - started) / 1e9;
  };

  try {
    await opsPerSecond(WARM_UP, CONCURRENCY, (i) => sendOne(N + i, false));
    await opsPerSecond(WARM_UP, CONCURRENCY, async () => {
      await bareSend({
        id: 'warm-up',
        to: 'w@example.org',
        subject: 's',
        text: 't',
        html: 'h',
        url: 'https://x/y',
      });
    });
    // Alternating rounds: on a shared machine the load drifts over minutes, and the ratio should
    // compare the two under the same conditions.
    const before = sink.received;
    let oursSeconds = 0;
    let bareSeconds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const from = round * (N / ROUNDS);
      oursSeconds += await timed(() =>
        opsPerSecond(N / ROUNDS, CONCURRENCY, (i) => sendOne(from + i, true)),
      );
      bareSeconds += await timed(() =>
        opsPerSecond(N / ROUNDS, CONCURRENCY, (i) => bareSend(rendered[from + i]!)),
      );
    }
    if (sink.received - before !== 2 * N) {
      throw new Error(`sink got ${sink.received - before} of ${2 * N}`);
    }
    report(
      `E-mails rendered and sent through the pool (${N}, ${POOL} SMTP connections)`,
      N / oursSeconds,
      N / bareSeconds,
      'messages/s',
    );
    const renderOnly = await opsPerSecond(N, 1, async (i) => {
      const context = contextFor(i, rendered[i]!.url);
      renderer.render(renderer.pickVariant(VARIANTS, context.visitor.locale, 'fr'), context, {
        locale: context.visitor.locale!,
        timeZone: 'Europe/Paris',
      });
    });
    console.log(
      `(rendering alone: ${renderOnly.toLocaleString('en', { maximumFractionDigits: 0 })} messages/s)`,
    );
  } finally {
    bare.close();
    await channel.onModuleDestroy();
    await sink.close();
  }
}
