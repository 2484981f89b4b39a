import { DataSource } from 'typeorm';
import { Role } from '../src/modules/access/user.entity.js';
import type { AuthContext } from '../src/modules/access/auth-context.js';
import { DestinationsService } from '../src/modules/destinations/destinations.service.js';
import { InteractionKind } from '../src/modules/social/interaction.entity.js';
import { SocialIngestService } from '../src/modules/social/social-ingest.service.js';
import type { NormalizedPost } from '../src/modules/social/social.types.js';
import { SocialProvider } from '../src/modules/visitors/social-identity.entity.js';
import { WallService } from '../src/modules/wall/wall.service.js';
import { benchRuntime, report } from './harness.js';

const N = Number(process.env.BENCH_N ?? 10_000);
const PAGE = 100;
const BLOCKLIST = 200;
// Positive posts (all wall candidates); one in eight contains a blocked word.
const TEXTS = [
  'Wonderful evening by the river, I love this city #Escale',
  'Superbe journée au marché des Lices, merci les producteurs !',
  'Amazing concert tonight, great vibes everywhere',
  'Magnifique coucher de soleil sur les remparts #Bretagne',
  'Best crêpes ever, highly recommend the place',
  'Trop bien, une balade à vélo le long du canal',
  'Lovely museum, beautiful paintings, friendly staff',
  'Great festival but what an ARNAQUE the parking was, still happy',
];

function posts(prefix: string): NormalizedPost[] {
  const t0 = Date.UTC(2026, 9, 1);
  return Array.from({ length: N }, (_, i) => ({
    provider: SocialProvider.TWITTER,
    externalId: `${prefix}${i}`,
    kind: InteractionKind.POST,
    authorExternalId: `${prefix}u${i % 1000}`,
    authorHandle: `${prefix}_${(i % 1000).toString(36)}`,
    text: TEXTS[i % TEXTS.length],
    lang: i % 2 ? 'fr' : 'en',
    occurredAt: new Date(t0 + i * 1000),
  }));
}

/**
 * `wall`: what the blocklist costs the ingest pipeline. The same pages of positive posts (every
 * one a wall candidate) go through the whole pipeline into a destination with a 200-word
 * blocklist and into one with none (the baseline), pages alternating so that both see the same
 * machine.
 */
export async function benchWall(): Promise<void> {
  const bench = await benchRuntime();
  try {
    const app = bench.runtime.app;
    const destinations = app.get(DestinationsService);
    const ingest = app.get(SocialIngestService);
    const wall = app.get(WallService);
    const make = async (name: string) => {
      const { destination } = await destinations.createDestination({
        name,
        adminEmail: `admin@${name.toLowerCase()}.example.org`,
        adminPassword: 'correct horse battery staple',
      });
      return destination.id;
    };
    const blocked = await make('Blocked');
    const open = await make('Open');
    const auth: AuthContext = {
      destinationId: blocked,
      principal: { kind: 'user', userId: '00000000-0000-4000-8000-000000000000', role: Role.ADMIN },
    };
    const words = Array.from({ length: BLOCKLIST - 1 }, (_, i) => `interdit${i}`);
    await wall.updateBlocklist(auth, [...words, 'arnaque']);

    // The blocklist's own share of a page: the wall's listener inside the ingest transaction.
    let listenerMs = 0;
    let openListenerMs = 0;
    const listener = wall.onIngesting.bind(wall);
    wall.onIngesting = async (event) => {
      const t = process.hrtime.bigint();
      try {
        await listener(event);
      } finally {
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        if (event.destinationId === blocked) listenerMs += ms;
        else openListenerMs += ms;
      }
    };
    const a = posts('b');
    const b = posts('o');
    let blockedMs = 0;
    let openMs = 0;
    for (let i = 0; i < N; i += PAGE) {
      let t = process.hrtime.bigint();
      await ingest.ingest(blocked, a.slice(i, i + PAGE));
      blockedMs += Number(process.hrtime.bigint() - t) / 1e6;
      t = process.hrtime.bigint();
      await ingest.ingest(open, b.slice(i, i + PAGE));
      openMs += Number(process.hrtime.bigint() - t) / 1e6;
    }
    const counts: { destination_id: string; wall_status: string; n: number }[] = await app
      .get(DataSource)
      .query(
        `SELECT destination_id, wall_status, count(*)::int AS n FROM interactions
            GROUP BY destination_id, wall_status`,
      );
    const rejected = counts.find(
      (c) => c.destination_id === blocked && c.wall_status === 'REJECTED',
    );
    console.log(
      `${N} positive posts in pages of ${PAGE}; ${rejected?.n ?? 0} rejected by the blocklist (expected ${Math.ceil(N / TEXTS.length)})`,
    );
    const share = (ms: number, total: number) =>
      `${(ms / (N / PAGE)).toFixed(1)} ms per page of ${PAGE}, ${((100 * ms) / total).toFixed(1)} % of the pipeline's time`;
    console.log(`the blocklist step: ${share(listenerMs, blockedMs)}`);
    console.log(`the same step without a blocklist: ${share(openListenerMs, openMs)}`);
    report(
      `ingest with a ${BLOCKLIST}-word blocklist (baseline: no blocklist)`,
      N / (blockedMs / 1000),
      N / (openMs / 1000),
      'posts/s',
    );
  } finally {
    await bench.drop();
  }
}
