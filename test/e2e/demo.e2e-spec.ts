import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoDerbyOptions, demoPeriod } from '../../src/cli/demo/demo-data.js';
import { runDemo, type DemoReport } from '../../src/cli/demo/run-demo.js';
import * as fakeX from '../support/fake-x/index.js';

/**
 * `npm run demo` end to end on the embedded default (PGlite, BullMQ's PostgreSQL backend) in a
 * temporary data dir. The derby's expected winners come from the scenario generator's
 * construction (test/support/fake-x/derby.ts), not from the code under test.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'escale-demo-'));
const lines: string[] = [];
let report: DemoReport;

beforeAll(async () => {
  report = await runDemo({
    // Explicit: the test runner's DATABASE_URL / REDIS_URL must not leak in.
    env: { NODE_ENV: 'test', ESCALE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' },
    fakeX,
    out: (line) => lines.push(line),
  });
}, 300_000);

afterAll(() => {
  if (process.env.DEMO_TEST_OUTPUT) console.log(lines.join('\n'));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('builds Rennes through the API and ingests the whole month through the polling path', () => {
    for (const step of [
      'destination',
      'places',
      'visitors',
      'segment',
      'stays',
      'social tracking',
      'ingestion',
      'segment preview',
    ])
      expect(report.ran).toContain(step);
    expect(report.interactions).toBe(demoDerbyOptions(demoPeriod(new Date())).posts);
    expect(lines.some((l) => /^ {2}\d+ visitors, e\.g\. /.test(l))).toBe(true);
    expect(lines).toContain(
      `  log in: mutation { login(email: "${report.adminEmail}", password: "${report.adminPassword}") { accessToken } }`,
    );
  });

  it('runs the journey, the wall, the scores and the derby too', () => {
    for (const step of [
      'campaign',
      'outbox',
      'wall moderation',
      'ambassador scores',
      'ambassadors leaderboard',
      'derby',
      'wall',
    ])
      expect(report.ran).toContain(step);
    expect(lines.filter((l) => l.startsWith('skipped'))).toEqual([]);
  });

  it('prints the derby awards the generated month was built for', () => {
    const { expected } = fakeX.generateDerbyScenario(demoDerbyOptions(demoPeriod(new Date())));
    const awards = new Map(
      lines
        .map((l) => /^ {2}award (\w+) @(\w+) .*value=([\d.]+)(?: post=(\d+))?/.exec(l)?.slice(1))
        .filter((m): m is string[] => !!m)
        .map(([trophy, handle, value, post]) => [trophy, { handle, value: Number(value), post }]),
    );
    expect(awards.get('MOST_FOLLOWERS')).toMatchObject({
      handle: expected.MOST_FOLLOWERS.handle,
      value: expected.MOST_FOLLOWERS.followers,
    });
    expect(awards.get('BEST_FOLLOWER_RATIO')?.handle).toBe(expected.BEST_FOLLOWER_RATIO.handle);
    expect(awards.get('BEST_FOLLOWER_RATIO')?.value).toBeCloseTo(
      expected.BEST_FOLLOWER_RATIO.followers / expected.BEST_FOLLOWER_RATIO.following,
      3,
    );
    expect(awards.get('MOST_SHARED_POST')).toMatchObject({
      handle: expected.MOST_SHARED_POST.handle,
      post: expected.MOST_SHARED_POST.postId,
    });
    expect(awards.get('HIGHEST_ENGAGEMENT')?.handle).toBe(expected.HIGHEST_ENGAGEMENT.handle);
  });

  it('prints the top ten ambassadors with their components', () => {
    const top = lines.filter((l) =>
      /^ {2}#\d+ .* — [\d.]+ (NONE|FAN|ADVOCATE|AMBASSADOR) \(/.test(l),
    );
    expect(top).toHaveLength(10);
    for (const line of top)
      for (const c of [
        'reach',
        'ratio',
        'amplification',
        'engagement',
        'activity',
        'sentiment',
        'recency',
      ])
        expect(line).toContain(c);
  });

  it('leaves the journey e-mails in the .eml outbox', () => {
    expect(existsSync(report.outbox)).toBe(true);
    const files = readdirSync(report.outbox).filter((f) => f.endsWith('.eml'));
    expect(files.length).toBeGreaterThan(0);
    expect(
      lines.some((l) => l.startsWith(`Outbox: ${report.outbox} (${files.length} new .eml files`)),
    ).toBe(true);
    const mail = readFileSync(join(report.outbox, files[0]), 'utf8');
    expect(mail).toMatch(/^Subject: /m);
  });

  it('prints the wall URL of the destination', () => {
    expect(lines.some((l) => l.endsWith(`/wall/${report.destinationId}`))).toBe(true);
  });
});
