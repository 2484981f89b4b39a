import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { AuthContext } from '../src/modules/access/auth-context.js';
import { Role } from '../src/modules/access/user.entity.js';
import { DestinationsService } from '../src/modules/destinations/destinations.service.js';
import { InterestsService } from '../src/modules/interests/interests.service.js';
import { VisitorImportService } from '../src/modules/visitors/visitor-import.service.js';
import { benchRuntime, report } from './harness.js';

const N = 50_000;
const CHUNK = 1000;
const FIRST = ['Anne', 'Bastien', 'Chloé', 'Denis', 'Élodie', 'Fanch', 'Gwen', 'Hugo'];
const LAST = ['Le Goff', 'Martin', 'Riou', 'Tanguy', 'Le Gall', 'Morvan', 'Durand', 'Bernard'];
const PLACES = [
  ['fr-FR', 'FR', 'Europe/Paris'],
  ['en-GB', 'GB', 'Europe/London'],
  ['de', 'DE', 'Europe/Berlin'],
  ['es', 'ES', 'Europe/Madrid'],
];

interface Row {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  locale: string;
  countryCode: string;
  timeZone: string;
  tags: string[];
  twitterHandle: string;
  consent: boolean;
  interests: string[];
}

/** Every column filled on every line: a profile, two tags, a handle, a consent, two interests. */
function rows(prefix: string, slugs: string[]): Row[] {
  return Array.from({ length: N }, (_, i) => {
    const [locale, countryCode, timeZone] = PLACES[i % PLACES.length];
    return {
      firstName: FIRST[i % FIRST.length],
      lastName: LAST[(i >> 3) % LAST.length],
      email: `${prefix}.visitor${i}@example.org`,
      phone: `+33 6 ${String(10_000_000 + i).replace(/(\d{2})(?=\d)/g, '$1 ')}`,
      locale,
      countryCode,
      timeZone,
      tags: ['newsletter', `salon-${i % 12}`],
      twitterHandle: `${prefix}_${i.toString(36)}`,
      consent: i % 3 !== 0,
      interests: [slugs[i % slugs.length], slugs[(i + 1) % slugs.length]],
    };
  });
}

function toCsv(data: Row[]): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = data.map((r) =>
    [
      r.firstName,
      r.lastName,
      r.email,
      r.phone,
      r.locale,
      r.countryCode,
      r.timeZone,
      r.tags.join('|'),
      `@${r.twitterHandle}`,
      r.consent ? 'yes' : 'no',
      r.interests.join('|'),
    ]
      .map(quote)
      .join(','),
  );
  return [
    'firstName,lastName,email,phone,locale,countryCode,timeZone,tags,twitterHandle,consentEmailMarketing,declaredInterests',
    ...lines,
  ].join('\n');
}

/**
 * importVisitors with 50,000 lines, every column filled: the service (parse, validation of every
 * line, suppression and taxonomy checks, matching, set-based writes, interest scores) against
 * the same rows written by bare multi-row INSERTs with pg in one transaction (no validation, no
 * matching, no scores) — the floor for putting these rows in these tables.
 */
export async function benchImport(): Promise<void> {
  const { runtime, url, drop } = await benchRuntime();
  try {
    const destinations = runtime.app.get(DestinationsService);
    const interests = runtime.app.get(InterestsService);
    const imports = runtime.app.get(VisitorImportService);
    const authFor = async (name: string): Promise<AuthContext> => {
      const { destination } = await destinations.createDestination({
        name,
        adminEmail: `${name.toLowerCase()}@example.org`,
        adminPassword: 'bench password 1',
      });
      return {
        destinationId: destination.id,
        principal: { kind: 'user', userId: randomUUID(), role: Role.ADMIN },
      };
    };
    const ours = await authFor('Ours');
    const base = await authFor('Baseline');
    for (const auth of [ours, base]) {
      // The seeded taxonomy when there is one; a few interests of our own in any case.
      for (const slug of ['gastronomy', 'heritage', 'nature', 'nightlife', 'wellbeing', 'sport']) {
        await interests.upsert(auth, { slug });
      }
    }
    const slugs = (await interests.list(ours)).map((i) => i.slug);

    const csv = toCsv(rows('ours', slugs));
    const mb = (Buffer.byteLength(csv) / 1024 / 1024).toFixed(1);
    let started = process.hrtime.bigint();
    const first = await imports.importCsv(ours, csv);
    const createSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (first.created !== N || first.rejected.length) {
      throw new Error(
        `import went wrong: ${JSON.stringify({ ...first, rejected: first.rejected.slice(0, 3) })}`,
      );
    }
    started = process.hrtime.bigint();
    const second = await imports.importCsv(ours, csv);
    const updateSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (second.updated !== N) throw new Error(`re-import went wrong: ${JSON.stringify(second)}`);

    const interestIds = new Map((await interests.list(base)).map((i) => [i.slug, i.id]));
    const baselineSeconds = await bareInserts(
      url,
      base.destinationId,
      rows('base', slugs),
      interestIds,
    );

    console.log(
      `CSV: ${N} lines, ${mb} MB, every column filled (2 tags, a handle, a consent, 2 interests)`,
    );
    report(
      `import, ${N} new visitors: ${createSeconds.toFixed(1)} s`,
      N / createSeconds,
      N / baselineSeconds,
      'lines/s',
    );
    report(
      `re-import, ${N} updates: ${updateSeconds.toFixed(1)} s`,
      N / updateSeconds,
      N / baselineSeconds,
      'lines/s',
    );
    console.log(
      `baseline (bare INSERTs of the same rows with pg): ${baselineSeconds.toFixed(1)} s`,
    );
  } finally {
    await drop();
  }
}

/** The same rows, in the same tables, by multi-row INSERTs of 1,000 rows in one transaction. */
async function bareInserts(
  url: string,
  destinationId: string,
  data: Row[],
  interestIds: Map<string, string>,
): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = process.hrtime.bigint();
  try {
    await client.query('BEGIN');
    const now = new Date();
    for (let i = 0; i < data.length; i += CHUNK) {
      const chunk = data.slice(i, i + CHUNK).map((r) => ({ ...r, id: randomUUID() }));
      const values = (width: number, count: number) =>
        Array.from(
          { length: count },
          (_, r) =>
            `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`,
        ).join(', ');
      await client.query(
        `INSERT INTO visitors (id, destination_id, first_name, last_name, email, phone, locale,
                               country_code, time_zone, tags) VALUES ${values(10, chunk.length)}`,
        chunk.flatMap((r) => [
          r.id,
          destinationId,
          r.firstName,
          r.lastName,
          r.email,
          r.phone,
          r.locale,
          r.countryCode,
          r.timeZone,
          r.tags,
        ]),
      );
      await client.query(
        `INSERT INTO social_identities (destination_id, visitor_id, provider, handle)
         VALUES ${values(4, chunk.length)}`,
        chunk.flatMap((r) => [destinationId, r.id, 'TWITTER', r.twitterHandle]),
      );
      await client.query(
        `INSERT INTO consents (destination_id, visitor_id, channel, purpose, granted, source, recorded_at)
         VALUES ${values(7, chunk.length)}`,
        chunk.flatMap((r) => [destinationId, r.id, 'EMAIL', 'MARKETING', r.consent, 'import', now]),
      );
      const evidence = chunk.flatMap((r) =>
        r.interests.map((slug) => [r.id, interestIds.get(slug)]),
      );
      await client.query(
        `INSERT INTO interest_evidence (destination_id, visitor_id, interest_id, kind, weight, source_id, occurred_at)
         VALUES ${values(7, evidence.length)}`,
        evidence.flatMap(([visitorId, interestId]) => [
          destinationId,
          visitorId,
          interestId,
          'DECLARED',
          1,
          'declared',
          now,
        ]),
      );
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}
