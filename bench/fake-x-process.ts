/**
 * The fake X API in a process of its own, for benchmarks: X's work (searching, rendering pages,
 * compressing them) is not ours and must not be counted as the pipeline's Node.js time, as it was
 * when the fake ran in the benchmark's process. Forked by `startFakeXProcess`; it generates its
 * scenario, answers on a free port, sends `{ url }` to its parent, and on `stop` sends its CPU
 * time and exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface FakeXProcessOptions {
  seed: number;
  users: number;
  posts: number;
  hashtags: string[];
  handles: string[];
  start: string;
  end: string;
  now: string;
  rateLimits: Record<string, number>;
}

interface FakeXModule {
  generateScenario(options: Omit<FakeXProcessOptions, 'now' | 'rateLimits'>): unknown;
  startFakeX(
    scenario: unknown,
    options: { now: Date; rateLimits: Record<string, number> },
  ): Promise<{ url: string; stop(): Promise<void> }>;
}

const FAKE_X = new URL('../fake-x/index.js', import.meta.url);

/** Whether the fake is built (`tsc -p test/support/fake-x/tsconfig.json`, done by `npm run bench`). */
export const fakeXBuilt = () => existsSync(FAKE_X);

export interface FakeXProcess {
  url: string;
  /** From now on, the CPU `stop` reports starts counting (a warm-up before is left out). */
  mark(): Promise<void>;
  /** Stops it; resolves to the CPU seconds it used while serving (since `mark`, if called). */
  stop(): Promise<number>;
}

export async function startFakeXProcess(options: FakeXProcessOptions): Promise<FakeXProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`the fake X process exited (${code})`)));
  });
  return {
    url,
    mark: () =>
      new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send('mark');
      }),
    stop: () =>
      new Promise<number>((resolve) => {
        child.once('message', (m: { cpu: number }) => resolve(m.cpu));
        child.send('stop');
      }),
  };
}

async function serve(options: FakeXProcessOptions) {
  const fake = (await import(FAKE_X.href)) as FakeXModule;
  const { now, rateLimits, ...generator } = options;
  const server = await fake.startFakeX(fake.generateScenario(generator), {
    now: new Date(now),
    rateLimits,
  });
  let before = process.cpuUsage();
  process.send?.({ url: server.url });
  process.on('message', (message) => {
    if (message === 'mark') {
      before = process.cpuUsage();
      process.send?.({ marked: true });
      return;
    }
    if (message !== 'stop') return;
    const used = process.cpuUsage(before);
    void server.stop().finally(() => {
      process.send?.({ cpu: (used.user + used.system) / 1e6 }, () => process.exit(0));
    });
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  await serve(JSON.parse(process.argv[2]) as FakeXProcessOptions);
}
