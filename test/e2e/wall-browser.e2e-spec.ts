import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

/**
 * The showroom page in a real headless browser (Debian's chromium, driven by playwright-core):
 * open the page, approve a post through the API, see it appear. No browser, no pass: CI installs
 * chromium (.ci/run), and a missing one fails here with the fix, it is not skipped.
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const INGEST = `mutation($items: [InteractionInput!]!) { ingestInteractions(items: $items) { created } }`;
const MODERATE = `mutation($id: ID!, $status: WallStatus!) {
  moderateWallPost(interactionId: $id, status: $status) { id wallStatus }
}`;
const XSS = `Wonderful evening <img src=x onerror="window.__xss=1"><script>window.__xss=2</script> & "love" it`;

describe('the showroom page in a browser (e2e)', () => {
  let app: TestApp;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;
  const problems: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium), as .ci/run does, or set CHROMIUM_PATH. This test fails rather than skips without a browser.`,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    app = await startTestApp();
    await app.runtime.app.listen(0, '127.0.0.1');
    const { port } = app.runtime.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('shows the approved posts and adds a new approval live, as plain text', async () => {
    const { admin, destination } = await seedDestination(app, 'Rennes & <Co>');
    const at = (minutes: number) =>
      new Date(Date.now() - 3_600_000 + minutes * 60_000).toISOString();
    const items = [
      { externalId: 'old', text: 'Lovely market this morning, great crêpes', occurredAt: at(1) },
      { externalId: 'new', text: XSS, occurredAt: at(30) },
    ].map((p, i) => ({
      ...p,
      provider: 'OTHER',
      kind: 'POST',
      authorExternalId: `a${i}`,
      authorHandle: `visitor_${i}`,
    }));
    await app.ok(INGEST, { items }, admin);
    const nodes = (
      await app.ok(
        '{ interactions(first: 10) { edges { node { id externalId wallStatus } } } }',
        {},
        admin,
      )
    ).interactions.edges.map((e: { node: { id: string; externalId: string } }) => e.node);
    const idOf = (externalId: string) =>
      nodes.find((n: { externalId: string }) => n.externalId === externalId).id as string;
    await app.ok(MODERATE, { id: idOf('old'), status: 'APPROVED' }, admin);

    page = await browser!.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) foreignRequests.push(r.url());
    });
    const response = await page.goto(`${base}/wall/${destination.id}`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.title()).toBe('Rennes & <Co>');
    expect(await page.locator('h1').textContent()).toBe('Rennes & <Co>');
    expect(await page.locator('#posts .post .text').allTextContents()).toEqual([
      'Lovely market this morning, great crêpes',
    ]);
    expect(await page.locator('#posts .post .handle').allTextContents()).toEqual(['@visitor_0']);

    const posts = page.locator('#posts .post');
    // Approve through the API: the post arrives on the open page, newest first, as written.
    await app.ok(MODERATE, { id: idOf('new'), status: 'APPROVED' }, admin);
    await posts.nth(1).waitFor(); // locators, not evaluated strings: the page's CSP forbids eval
    expect(await page.locator('#posts .post .text').allTextContents()).toEqual([
      XSS,
      'Lovely market this morning, great crêpes',
    ]);
    expect(await page.locator('#posts .post').first().getAttribute('class')).toContain('fresh');
    const injected = await page.evaluate(() => {
      // Runs in the page (this file is compiled without the DOM's types).
      const g = globalThis as unknown as {
        __xss?: number;
        document: { querySelectorAll(selector: string): { length: number } };
      };
      return {
        flag: g.__xss ?? null,
        elements: g.document.querySelectorAll('#posts img, #posts script').length,
      };
    });
    expect(injected).toEqual({ flag: null, elements: 0 });

    // Taken off the wall: it leaves the screen too.
    await app.ok(MODERATE, { id: idOf('old'), status: 'REJECTED' }, admin);
    await posts.nth(1).waitFor({ state: 'detached' });
    expect(await page.locator('#posts .post .handle').allTextContents()).toEqual(['@visitor_1']);

    expect(problems).toEqual([]);
    expect(foreignRequests).toEqual([]);
    if (process.env.WALL_SCREENSHOT) await page.screenshot({ path: process.env.WALL_SCREENSHOT });
  });

  it('a page for an unknown destination is 404', async () => {
    const res = await page.goto(`${base}/wall/00000000-0000-4000-8000-000000000000`);
    expect(res?.status()).toBe(404);
  });
});
