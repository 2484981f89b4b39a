/**
 * Administration from a shell, on the database the environment names (or the embedded one; stop
 * the server first, PGlite serves one process):
 *   npm run cli -- create-destination --name Rennes --admin-email a@b.fr --admin-password '…' [--time-zone Europe/Paris] [--locale fr]
 *   npm run cli -- create-user --destination Rennes --email m@b.fr --password '…' --role MARKETER
 *   npm run cli -- delete-destination --destination Rennes --yes
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { AppError } from '../common/errors/app-error.js';
import { ConfigError, loadConfig } from '../infra/config/config.js';
import { AccessService } from '../modules/access/access.service.js';
import { Role } from '../modules/access/user.entity.js';
import { DestinationsService } from '../modules/destinations/destinations.service.js';
import { createRuntime } from '../runtime.js';

const USAGE = `usage:
  cli create-destination --name <name> --admin-email <email> --admin-password <password> [--time-zone <IANA>] [--locale <BCP 47>]
  cli create-user --destination <name or id> --email <email> --password <password> --role ADMIN|MARKETER|ANALYST
  cli delete-destination --destination <name or id> --yes   (deletes every row of it, users included)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-password': { type: 'string' },
      'time-zone': { type: 'string' },
      locale: { type: 'string' },
      destination: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      yes: { type: 'boolean' },
    },
  });
  const need = (...names: (keyof typeof values)[]) => {
    const missing = names.filter((n) => !values[n]);
    if (missing.length) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
  };
  if (!['create-destination', 'create-user', 'delete-destination'].includes(command ?? ''))
    throw new UsageError(`unknown command ${command ?? '(none)'}`);
  if (command === 'create-destination') need('name', 'admin-email', 'admin-password');
  else if (command === 'create-user') need('destination', 'email', 'password', 'role');
  else {
    need('destination');
    if (!values.yes) throw new UsageError('delete-destination deletes all its data: add --yes');
  }

  // An API-role process that does not listen: no job is processed, no first-boot destination made.
  const config = { ...loadConfig(process.env), role: 'api' as const };
  const runtime = await createRuntime(config, {
    quiet: true,
    skipBootstrap: true,
    log: () => undefined,
  });
  try {
    const destinations = runtime.app.get(DestinationsService);
    if (command === 'create-destination') {
      const { destination, created } = await destinations.createDestination({
        name: values.name!,
        adminEmail: values['admin-email']!,
        adminPassword: values['admin-password']!,
        timeZone: values['time-zone'],
        locale: values.locale,
      });
      console.log(
        created
          ? `Created destination ${destination.name} (${destination.id}) and its admin.`
          : `Destination ${destination.name} already exists (${destination.id}): nothing changed.`,
      );
    } else if (command === 'delete-destination') {
      const destination = await destinations.findByNameOrId(values.destination!);
      if (!destination) throw new UsageError(`no destination named ${values.destination}`);
      await destinations.deleteDestination(destination.id);
      console.log(`Deleted destination ${destination.name} (${destination.id}) and all its data.`);
    } else {
      const role = values.role!.toUpperCase() as Role;
      if (!Object.values(Role).includes(role))
        throw new UsageError(`--role must be one of ${Object.values(Role).join(', ')}`);
      const destination = await destinations.findByNameOrId(values.destination!);
      if (!destination) throw new UsageError(`no destination named ${values.destination}`);
      const user = await runtime.app
        .get(AccessService)
        .createUserIn(destination.id, values.email!, values.password!, role);
      console.log(`Created ${user.role} ${user.email} in ${destination.name}.`);
    }
    return 0;
  } finally {
    await runtime.stop();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`);
    else if (error instanceof ConfigError)
      for (const i of error.issues) console.error(`${i.variable}: ${i.message}`);
    else if (error instanceof AppError) console.error(`${error.code}: ${error.message}`);
    else console.error(error);
    process.exit(2);
  },
);
