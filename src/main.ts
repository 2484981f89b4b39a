import 'reflect-metadata';
import { ConfigError, loadConfig } from './infra/config/config.js';
import { createRuntime, describeStart } from './runtime.js';

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error('Escale cannot start: the configuration is invalid.');
      for (const issue of error.issues) console.error(`  ${issue.variable}: ${issue.message}`);
      process.exit(1);
    }
    throw error;
  }
  const runtime = await createRuntime(config);
  await runtime.app.listen(config.port);
  const url = config.publicUrl;
  console.log(describeStart(runtime, url));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing running jobs and requests, then stopping.`);
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
