import { AppError } from '../../common/errors/app-error.js';
import { IMPORT_MAX_BYTES, readImportCsv } from './visitor-import.service.js';

const HEADER =
  'firstName,lastName,email,phone,locale,countryCode,timeZone,tags,twitterHandle,consentEmailMarketing,declaredInterests';

function refused(csv: string): AppError {
  try {
    readImportCsv(csv);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BAD_USER_INPUT');
    return error as AppError;
  }
  throw new Error('the CSV was accepted');
}

describe('readImportCsv', () => {
  it('normalises a good line, lists split on |', () => {
    const [line] = readImportCsv(
      `${HEADER}\n Anne ,Le Goff, Anne@Example.ORG ,+33 6 12 34 56 78,fr-fr,fr,europe/paris,Golf| VIP |golf,@Anne_LG,yes,Gastronomy|heritage\n`,
    );
    expect(line).toEqual({
      line: 2,
      errors: [],
      fields: {
        firstName: 'Anne',
        lastName: 'Le Goff',
        email: 'anne@example.org',
        phone: '+33 6 12 34 56 78',
        locale: 'fr-FR',
        countryCode: 'FR',
        timeZone: 'Europe/Paris',
        tags: ['golf', 'vip'],
      },
      handle: 'Anne_LG',
      consentEmailMarketing: true,
      interests: ['gastronomy', 'heritage'],
    });
  });

  it('leaves empty cells out, so that an update keeps what it has', () => {
    const [line] = readImportCsv(
      'email,firstName,tags,consentEmailMarketing\nbob@example.org,,,\n',
    );
    expect(line.fields).toEqual({ email: 'bob@example.org' });
    expect(line.consentEmailMarketing).toBeNull();
    expect(line.interests).toEqual([]);
  });

  it('reads consent as true/false, yes/no or 1/0, in any case', () => {
    const lines = readImportCsv(
      'email,consentEmailMarketing\na@x.org,TRUE\nb@x.org,no\nc@x.org,1\nd@x.org,0\ne@x.org,maybe\n',
    );
    expect(lines.map((l) => l.consentEmailMarketing)).toEqual([true, false, true, false, null]);
    expect(lines[4].errors).toEqual([
      'consentEmailMarketing: maybe is not one of true/false, yes/no, 1/0',
    ]);
  });

  it('reports every reason of a bad line, with its line number', () => {
    const lines = readImportCsv(
      `${HEADER}\nAnne,,not-an-email,call me,,XX,Mars/Olympus,,@not a handle,perhaps,\nBob,,bob@example.org,,,,,,,,\n`,
    );
    expect(lines).toHaveLength(2);
    expect(lines[0].line).toBe(2);
    expect(lines[0].errors).toEqual([
      'email: not-an-email is not an e-mail address',
      'phone: call me is not a phone number',
      'countryCode: XX is not an ISO 3166-1 alpha-2 code',
      'timeZone: Mars/Olympus is not an IANA time zone',
      'twitterHandle: @not a handle is not an X handle (1 to 15 letters, digits or _)',
      'consentEmailMarketing: perhaps is not one of true/false, yes/no, 1/0',
    ]);
    expect(lines[1]).toMatchObject({ line: 3, errors: [] });
  });

  it('refuses a line with more or fewer values than the header', () => {
    const [short, long, good] = readImportCsv(
      'email,firstName\na@x.org\nb@x.org,Bob,extra\nc@x.org,Chloé\n',
    );
    expect(short.errors[0]).toMatch(/has 1 values where the header has 2 columns/);
    expect(long.errors[0]).toMatch(/has 3 values where the header has 2 columns/);
    expect(good).toMatchObject({ line: 4, errors: [], fields: { firstName: 'Chloé' } });
  });

  it('accepts header names in any order and case, a BOM, CRLF and semicolons', () => {
    const lines = readImportCsv(
      '\uFEFFEMAIL;FirstName\r\na@x.org;Anne\r\n\r\n"b@x.org";"Le ""Bob"""\r\n',
    );
    expect(lines.map((l) => [l.line, l.fields])).toEqual([
      [2, { email: 'a@x.org', firstName: 'Anne' }],
      [4, { email: 'b@x.org', firstName: 'Le "Bob"' }],
    ]);
  });

  it('numbers a record spanning lines by its first line, and counts skipped blank lines', () => {
    const lines = readImportCsv('firstName,email\n"Anne\nMarie",a@x.org\n\n\nBob,b@x.org\n');
    expect(lines.map((l) => [l.line, l.fields.firstName])).toEqual([
      [2, 'Anne\nMarie'],
      [6, 'Bob'],
    ]);
  });

  it('reports broken quoting on its line and goes on reading the next lines', () => {
    const lines = readImportCsv(
      [
        'firstName,email',
        'Anne,a@x.org',
        '"Bo"b,b@x.org', // text after a closing quote
        'Ch"loé,c@x.org', // a quote inside an unquoted value
        'Denis,d@x.org',
        '"Eve,e@x.org', // never closed
        'Fanny,f@x.org',
      ].join('\n'),
    );
    expect(lines.map((l) => [l.line, l.fields.firstName ?? null, l.errors])).toEqual([
      [2, 'Anne', []],
      [3, null, [expect.stringMatching(/^broken quoting: a closing quote is followed by text/)]],
      [4, null, [expect.stringMatching(/^broken quoting: a quote inside an unquoted value/)]],
      [5, 'Denis', []],
      [6, null, ['broken quoting: a quote opened on this line is never closed']],
      [7, 'Fanny', []],
    ]);
  });

  it('refuses a header with broken quoting', () => {
    expect(refused('"email,firstName\na@x.org,Anne\n').message).toMatch(
      /header row \(line 1\) is not valid CSV: broken quoting/,
    );
  });

  it('refuses unknown columns, naming them, and columns named twice', () => {
    const unknown = refused('email,nickname,Shoe Size\na@x.org,Annie,38\n');
    expect(unknown.message).toMatch(
      /^Unknown columns: nickname, Shoe Size\. The columns are firstName, /,
    );
    expect(unknown.details).toMatchObject({ unknownColumns: ['nickname', 'Shoe Size'] });
    expect(refused('email,Email\na@x.org,b@x.org\n').message).toBe('Columns named twice: email');
  });

  it('refuses an empty file, and a header without lines', () => {
    expect(refused('').message).toMatch(/^The CSV is empty/);
    expect(refused(' \n\r\n ').message).toMatch(/^The CSV is empty/);
    expect(refused(`${HEADER}\n\n`).message).toMatch(/no visitor lines/);
  });

  it('refuses more than 10 MB before reading it, stating the limit', () => {
    const big = `email\n${'"'.repeat(IMPORT_MAX_BYTES)}`;
    const error = refused(big);
    expect(error.message).toMatch(/the limit is 10 MB \(10485760 bytes\)/);
    expect(error.details).toMatchObject({ limitBytes: IMPORT_MAX_BYTES });
    // Bytes, not characters: 5.3 M two-byte characters are over the limit.
    expect(refused(`firstName\n${'é'.repeat(5_300_000)}`).details).toMatchObject({
      sizeBytes: expect.any(Number),
    });
  });

  it('refuses a file that is mostly broken quoting as a whole', () => {
    const lines = Array.from({ length: 150 }, (_, i) => `"Anne${i}"x,a${i}@x.org`);
    expect(refused(`firstName,email\n${lines.join('\n')}`).message).toMatch(
      /More than 100 lines have broken quoting \(the first on lines 2, 3, 4, 5, 6\)/,
    );
  });

  it('checks lengths and list sizes as the GraphQL inputs do', () => {
    const [line] = readImportCsv(
      `firstName,tags,declaredInterests\n${'A'.repeat(101)},${Array.from({ length: 51 }, (_, i) => `t${i}`).join('|')},${'x'.repeat(60)}|${Array.from({ length: 50 }, (_, i) => `i${i}`).join('|')}\n`,
    );
    expect(line.errors).toEqual([
      'firstName: longer than 100 characters',
      'tags: more than 50 tags',
      'declaredInterests: more than 50 interests',
    ]);
  });
});
