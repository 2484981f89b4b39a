#!/usr/bin/env node
/**
 * Starts the fake X API by hand (demo, manual runs):
 *   npm run fake:x -- --port 4010 --scenario scenario.json
 *   npm run fake:x -- --port 4010 --seed 42 --posts 2000          (generated on the fly)
 *   npm run fake:x -- --seed 42 --posts 2000 --write scenario.json (write a scenario and exit)
 * Options: --host (127.0.0.1), --token (app bearer, repeatable; default test-bearer-token),
 * --user-token TOKEN=username (repeatable; default test-user-token=owner), --now ISO,
 * --no-compression; generator: --seed --users --posts --hashtags a,b --handles x,y --start --end.
 * The script compiles this folder with its own tsconfig to dist/fake-x (the app build excludes test/).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateScenario } from './generate.js';
import { startFakeX } from './server.js';
import type { Scenario } from './types.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    scenario: { type: 'string' },
    write: { type: 'string' },
    token: { type: 'string', multiple: true },
    'user-token': { type: 'string', multiple: true },
    now: { type: 'string' },
    'no-compression': { type: 'boolean', default: false },
    seed: { type: 'string' },
    users: { type: 'string' },
    posts: { type: 'string' },
    hashtags: { type: 'string' },
    handles: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help || (!values.scenario && values.seed === undefined)) {
  console.log(
    'usage: npm run fake:x -- [--port 4010] (--scenario FILE | --seed N [--users N] [--posts N] [--hashtags a,b] [--handles x,y] [--start ISO] [--end ISO]) [--write FILE] [--token T] [--user-token T=username] [--now ISO] [--no-compression]',
  );
  process.exit(values.help ? 0 : 2);
}

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

const scenario: Scenario = values.scenario
  ? (JSON.parse(readFileSync(values.scenario, 'utf8')) as Scenario)
  : generateScenario({
      seed: /^\d+$/.test(values.seed!) ? Number(values.seed) : values.seed!,
      users: num(values.users),
      posts: num(values.posts),
      hashtags: list(values.hashtags),
      handles: list(values.handles),
      start: values.start,
      end: values.end,
    });

if (values.write) {
  writeFileSync(values.write, JSON.stringify(scenario, null, 2) + '\n');
  console.log(
    `wrote ${values.write}: ${scenario.users.length} users, ${scenario.posts.length} posts`,
  );
  // Write and exit, unless a port was asked for too.
  if (!process.argv.includes('--port')) process.exit(0);
}

const userTokens = values['user-token']
  ? Object.fromEntries(
      values['user-token'].map((pair) => {
        const [token, user] = pair.split('=');
        return [token, user];
      }),
    )
  : undefined;

const fake = await startFakeX(scenario, {
  port: Number(values.port),
  host: values.host,
  appTokens: values.token,
  userTokens,
  now: values.now,
  compression: !values['no-compression'],
});
const c = fake.store.counts();
console.log(
  `fake X API on ${fake.url} — ${c.users} users, ${c.posts} posts; app token: ${(values.token ?? ['test-bearer-token']).join(', ')}; control: ${fake.url}/_fake/state`,
);
const stop = () => {
  void fake.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
