/**
 * `npm run demo`: Rennes' Social Derby, end to end, on the embedded default (or DATABASE_URL).
 * See README "Demo". The fake X API is not part of the app build: `npm run demo` compiles it to
 * dist/fake-x first, and this loads it from there.
 */
import 'reflect-metadata';
import { ConfigError } from '../infra/config/config.js';
import { runDemo, type DemoFakeXModule } from './demo/run-demo.js';

async function main(): Promise<number> {
  const fakeX = (await import(
    new URL('../../fake-x/index.js', import.meta.url).href
  )) as DemoFakeXModule;
  await runDemo({ env: process.env, fakeX });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError)
      for (const i of error.issues) console.error(`${i.variable}: ${i.message}`);
    else console.error(error);
    process.exit(1);
  },
);
