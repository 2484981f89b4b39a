import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { buildSchema, findBreakingChanges, lexicographicSortSchema, printSchema } from 'graphql';
import { startTestApp, type TestApp } from '../support/app.js';

const root = process.cwd();
const CONTRACT = join(root, 'test/contract/schema.graphql');
const PENDING = join(root, 'test/contract/pending.txt');
const GENERATED = join(root, 'src/schema.gql');

/**
 * The public contract (a byte-for-byte copy of shared/contract/schema.graphql) must not be broken
 * by the generated schema. What later issues will build is listed in pending.txt, one breaking
 * change per line; the list may only shrink: a line that no longer matches fails too.
 * `UPDATE_SCHEMA=1` rewrites the committed src/schema.gql (sorted).
 */
describe('GraphQL contract', () => {
  let app: TestApp;
  let generated: string;
  let breaking: string[];

  beforeAll(async () => {
    app = await startTestApp();
    const schema = app.runtime.app.get(GraphQLSchemaHost).schema;
    generated = printSchema(lexicographicSortSchema(schema)) + '\n';
    const contract = buildSchema(readFileSync(CONTRACT, 'utf8'));
    breaking = findBreakingChanges(contract, schema).map((c) => `${c.type} ${c.description}`);
  });
  afterAll(() => app?.stop());

  it('src/schema.gql is the schema the code generates (npm run schema:print updates it)', () => {
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(GENERATED, generated);
    expect(readFileSync(GENERATED, 'utf8')).toBe(generated);
  });

  it('breaks nothing of the contract that is not listed as pending', () => {
    const pending = new Set(readPending());
    if (process.env.UPDATE_PENDING === '1')
      writeFileSync(PENDING, breaking.sort().join('\n') + '\n');
    expect(breaking.filter((c) => !pending.has(c))).toEqual([]);
  });

  it('lists nothing as pending that is already built (the list only shrinks)', () => {
    const current = new Set(breaking);
    expect(readPending().filter((line) => !current.has(line))).toEqual([]);
  });
});

function readPending(): string[] {
  return readFileSync(PENDING, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
