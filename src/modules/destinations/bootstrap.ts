import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../infra/config/config.js';
import { EMBEDDED_ADMIN_EMAIL, EMBEDDED_DESTINATION } from '../../infra/embedded/embedded.js';
import type { DestinationsService } from './destinations.service.js';

export interface BootstrapResult {
  destination: string;
  adminEmail: string;
  /** Only when Escale generated it: it is shown once and never stored in clear. */
  generatedPassword?: string;
}

/**
 * First boot: when the database has no destination, create the configured one (or, in the
 * embedded mode, "Demo" with a generated admin password) and its first ADMIN. Idempotent and
 * safe when several processes boot at once: nothing happens when any destination exists.
 */
export function bootstrapFirstDestination(
  destinations: DestinationsService,
  config: AppConfig,
): Promise<BootstrapResult | undefined> {
  return destinations.withBootstrapLock(async () => {
    if ((await destinations.countDestinations()) > 0) return undefined;
    if (config.bootstrap) {
      await destinations.createDestination({
        name: config.bootstrap.destinationName,
        adminEmail: config.bootstrap.adminEmail,
        adminPassword: config.bootstrap.adminPassword,
      });
      return {
        destination: config.bootstrap.destinationName,
        adminEmail: config.bootstrap.adminEmail,
      };
    }
    if (!config.embedded) return undefined;
    const password = randomBytes(12).toString('base64url');
    await destinations.createDestination({
      name: EMBEDDED_DESTINATION,
      adminEmail: EMBEDDED_ADMIN_EMAIL,
      adminPassword: password,
    });
    return {
      destination: EMBEDDED_DESTINATION,
      adminEmail: EMBEDDED_ADMIN_EMAIL,
      generatedPassword: password,
    };
  });
}
