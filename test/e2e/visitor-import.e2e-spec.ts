import { Role } from '../../src/modules/access/user.entity.js';
import { SuppressionService } from '../../src/modules/visitors/suppression.service.js';
import { seedDestination, startTestApp, type TestApp } from '../support/app.js';

type Seeded = Awaited<ReturnType<typeof seedDestination>>;
type Headers = Record<string, string>;

const IMPORT = `mutation($csv: String!) {
  importVisitors(csv: $csv) { created updated rejected { line errors } }
}`;
const VISITOR_FIELDS = `id firstName lastName email phone locale countryCode timeZone tags
  identities { provider handle visitor { id } }
  consents { channel purpose granted source }
  interests { interest { slug } sources }`;
const VISITORS = `query($first: Int, $after: String) {
  visitors(first: $first, after: $after) { totalCount edges { node { ${VISITOR_FIELDS} } } }
}`;
const HEADER =
  'firstName,lastName,email,phone,locale,countryCode,timeZone,tags,twitterHandle,consentEmailMarketing,declaredInterests';

describe('visitor import (e2e)', () => {
  let app: TestApp;
  let a: Seeded;
  let b: Seeded;

  const ok = <T = Record<string, any>>(q: string, v: Record<string, unknown>, h: Headers) =>
    app.ok<T>(q, v, h);
  const fails = (q: string, v: Record<string, unknown>, h: Headers) => app.fails(q, v, h);
  const importCsv = async (csv: string, headers: Headers = a.admin) =>
    (await ok(IMPORT, { csv }, headers)).importVisitors;
  async function visitorsOf(headers: Headers): Promise<Array<Record<string, any>>> {
    const data = await ok(VISITORS, { first: 50 }, headers);
    return data.visitors.edges.map((e: { node: Record<string, any> }) => e.node);
  }
  const byEmail = async (email: string, headers: Headers = a.admin) =>
    (await visitorsOf(headers)).find((v) => v.email === email);

  beforeAll(async () => {
    app = await startTestApp();
    a = await seedDestination(app, 'Rennes');
    b = await seedDestination(app, 'Saint-Malo');
    for (const slug of ['gastronomy', 'heritage']) {
      await ok('mutation($s: String!) { upsertInterest(slug: $s) { id } }', { s: slug }, a.admin);
    }
  });
  afterAll(() => app?.stop());

  it('imports the good lines and reports every bad one with its line and all its reasons', async () => {
    const csv = [
      HEADER,
      'Anne,Le Goff, Anne@Example.ORG ,+33 6 12 34 56 78,fr,fr,europe/paris,Golf|VIP,@Anne_LG,yes,gastronomy|Heritage',
      'Bob,,not-an-email,,,,,,,,',
      'Chloé,,chloe@example.org,,,XX,,,,,gastronomy|cooking-classes',
      '"Denis"x,,denis@example.org,,,,,,,,',
      'Eve,,eve@example.org,,en-GB,GB,Europe/London,,,no,',
      ',,,,,,,,,,',
      'Gaspard,,,,,,,,gaspard_bzh,,',
    ].join('\n');
    expect(await importCsv(csv)).toEqual({
      created: 3,
      updated: 0,
      rejected: [
        { line: 3, errors: ['email: not-an-email is not an e-mail address'] },
        {
          line: 4,
          errors: [
            'countryCode: XX is not an ISO 3166-1 alpha-2 code',
            'declaredInterests: unknown interests: cooking-classes',
          ],
        },
        { line: 5, errors: [expect.stringMatching(/^broken quoting/)] },
      ],
    });

    const anne = await byEmail('anne@example.org');
    expect(anne).toMatchObject({
      firstName: 'Anne',
      lastName: 'Le Goff',
      phone: '+33 6 12 34 56 78',
      locale: 'fr',
      countryCode: 'FR',
      timeZone: 'Europe/Paris',
      tags: ['golf', 'vip'],
      identities: [{ provider: 'TWITTER', handle: 'Anne_LG', visitor: { id: anne!.id } }],
      consents: [{ channel: 'EMAIL', purpose: 'MARKETING', granted: true, source: 'import' }],
    });
    expect(anne!.interests.map((i: any) => [i.interest.slug, i.sources])).toEqual(
      expect.arrayContaining([
        ['gastronomy', ['DECLARED']],
        ['heritage', ['DECLARED']],
      ]),
    );
    expect((await byEmail('eve@example.org'))!.consents).toEqual([
      { channel: 'EMAIL', purpose: 'MARKETING', granted: false, source: 'import' },
    ]);
    // Bad lines changed nothing.
    const all = await visitorsOf(a.admin);
    expect(all.map((v) => v.firstName).sort()).toEqual(['Anne', 'Eve', 'Gaspard']);
  });

  it('upserts by e-mail, then by X handle (without @, any case), on a second import', async () => {
    const anneId = (await byEmail('anne@example.org'))!.id;
    const gaspardId = (await visitorsOf(a.admin)).find((v) => v.firstName === 'Gaspard')!.id;
    const report = await importCsv(
      [
        'email,twitterHandle,firstName,tags,consentEmailMarketing,countryCode',
        'ANNE@example.org,,Annie,surf|golf,no,',
        'gaspard@example.org,@GASPARD_BZH,,,yes,BE',
        'new@example.org,,Nina,,,',
      ].join('\r\n'),
    );
    expect(report).toEqual({ created: 1, updated: 2, rejected: [] });

    const anne = await byEmail('anne@example.org');
    expect(anne).toMatchObject({
      id: anneId,
      firstName: 'Annie',
      lastName: 'Le Goff', // an empty cell keeps the value
      tags: ['golf', 'vip', 'surf'], // tags are added, never taken away
      identities: [{ handle: 'Anne_LG' }],
    });
    // The consent log: newest first.
    expect(anne!.consents.map((c: any) => c.granted)).toEqual([false, true]);
    const gaspard = await byEmail('gaspard@example.org');
    expect(gaspard).toMatchObject({
      id: gaspardId,
      countryCode: 'BE',
      identities: [{ handle: 'gaspard_bzh' }],
    });
    expect((await ok(VISITORS, { first: 1 }, a.admin)).visitors.totalCount).toBe(4);
  });

  it('refuses lines whose handle or e-mail belongs to someone else, or that repeat a person', async () => {
    const annie = await byEmail('anne@example.org');
    const report = await importCsv(
      [
        'email,twitterHandle,firstName',
        'anne@example.org,gaspard_bzh,', // Gaspard's handle on Anne's line
        'other@example.org,anne_lg,', // Anne's handle, but Anne has another address
        'twice@example.org,,First',
        'TWICE@example.org,,Second',
        'nina@example.org,nina_rennes,',
        'nina2@example.org,Nina_Rennes,',
      ].join('\n'),
    );
    expect(report.created).toBe(2);
    expect(report.updated).toBe(0);
    expect(report.rejected).toEqual([
      {
        line: 2,
        errors: [expect.stringMatching(/^twitterHandle: @gaspard_bzh already belongs to visitor /)],
      },
      {
        line: 3,
        errors: [
          `email: visitor ${annie!.id}, who has the handle @anne_lg, has another e-mail address`,
        ],
      },
      { line: 5, errors: ['email: twice@example.org is also on line 4'] },
      { line: 7, errors: ['twitterHandle: @Nina_Rennes is also on line 6'] },
    ]);
    expect((await byEmail('twice@example.org'))!.firstName).toBe('First');
  });

  it('refuses addresses on the suppression list, as a line error', async () => {
    await app.runtime.app
      .get(SuppressionService)
      .suppress(a.destination.id, 'Gone@Example.org', 'erasure');
    const report = await importCsv(
      'email,firstName\ngone@example.org,Gone\nstays@example.org,Stays\n',
    );
    expect(report).toEqual({
      created: 1,
      updated: 0,
      rejected: [
        {
          line: 2,
          errors: [expect.stringMatching(/^email: gone@example.org is on the suppression list/)],
        },
      ],
    });
    expect(await byEmail('gone@example.org')).toBeUndefined();
  });

  it("refuses an erased person's X handle, known with its provider id or alone, as a line error", async () => {
    const { createVisitor } = await ok(
      `mutation($input: CreateVisitorInput!) { createVisitor(input: $input) { id } }`,
      {
        input: {
          firstName: 'Erased',
          identities: [
            { provider: 'TWITTER', handle: 'Erased_One', externalId: '7001' },
            { provider: 'TWITTER', handle: 'handle_only' },
          ],
        },
      },
      a.admin,
    );
    await ok('mutation($id: ID!) { eraseVisitor(id: $id) }', { id: createVisitor.id }, a.admin);
    const report = await importCsv(
      [
        'firstName,twitterHandle',
        'Back,@erased_one',
        'Again,HANDLE_ONLY',
        'Someone,new_person',
      ].join('\n'),
    );
    const refused = (handle: string) =>
      expect.stringMatching(
        new RegExp(`^twitterHandle: @${handle} is an erased person's account`, 'i'),
      );
    expect(report).toEqual({
      created: 1,
      updated: 0,
      rejected: [
        { line: 2, errors: [refused('erased_one')] },
        { line: 3, errors: [refused('handle_only')] },
      ],
    });
    // Only for the destination that erased them.
    expect(
      (await importCsv('firstName,twitterHandle\nElsewhere,erased_one\n', b.admin)).created,
    ).toBe(1);
  });

  it('keeps destinations apart: the same address in another destination is another visitor', async () => {
    const report = await importCsv(
      'email,firstName\nanne@example.org,Anne of Saint-Malo\n',
      b.admin,
    );
    expect(report).toEqual({ created: 1, updated: 0, rejected: [] });
    expect((await byEmail('anne@example.org', b.admin))!.firstName).toBe('Anne of Saint-Malo');
    expect((await byEmail('anne@example.org', a.admin))!.firstName).toBe('Annie');
  });

  it('refuses a whole file that is empty, has unknown columns, or weighs more than 10 MB', async () => {
    const empty = await fails(IMPORT, { csv: '' }, a.admin);
    expect(empty.extensions.code).toBe('BAD_USER_INPUT');
    expect(empty.message).toMatch(/empty/);
    const headerOnly = await fails(IMPORT, { csv: `${HEADER}\n` }, a.admin);
    expect(headerOnly.extensions.code).toBe('BAD_USER_INPUT');

    const unknown = await fails(
      IMPORT,
      { csv: 'email,shoeSize,nickname\na@x.org,38,Al\n' },
      a.admin,
    );
    expect(unknown.extensions.code).toBe('BAD_USER_INPUT');
    expect(unknown.message).toMatch(/^Unknown columns: shoeSize, nickname\./);

    const line = 'Someone,Else,someone@example.org,,,,,,,,\n';
    const big = `${HEADER}\n${line.repeat(Math.ceil((10 * 1024 * 1024) / line.length) + 10)}`;
    const tooBig = await fails(IMPORT, { csv: big }, a.admin);
    expect(tooBig.extensions.code).toBe('BAD_USER_INPUT');
    expect(tooBig.message).toMatch(/the limit is 10 MB/);
    expect(await byEmail('someone@example.org')).toBeUndefined();
  });

  it('is for ADMIN and MARKETER only', async () => {
    const marketer = await a.as(Role.MARKETER);
    expect((await importCsv('email\nmarketed@example.org\n', marketer)).created).toBe(1);
    const analyst = await a.as(Role.ANALYST);
    expect((await fails(IMPORT, { csv: 'email\nx@example.org\n' }, analyst)).extensions.code).toBe(
      'FORBIDDEN',
    );
    const key = await ok(
      'mutation { createApiKey(name: "crm", scopes: [READ_PROFILES, WRITE_STAYS]) { secret } }',
      {},
      a.admin,
    );
    const refused = await fails(
      IMPORT,
      { csv: 'email\ny@example.org\n' },
      { 'x-api-key': key.createApiKey.secret },
    );
    expect(refused.extensions.code).toBe('FORBIDDEN');
  });
});
