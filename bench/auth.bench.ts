import pg from 'pg';
import { sha256 } from '../src/modules/access/access.service.js';
import { AccessService } from '../src/modules/access/access.service.js';
import { ApiScope } from '../src/modules/access/api-key.entity.js';
import { DestinationsService } from '../src/modules/destinations/destinations.service.js';
import { benchRuntime, opsPerSecond, report } from './harness.js';

const N = 20_000;
const CONCURRENCY = 8;

/**
 * Every partner request authenticates its API key: the service's path (hash, lookup, revocation
 * and last-use check) against the bare indexed lookup by hash written with pg.
 */
export async function benchAuth(): Promise<void> {
  const { runtime, url, drop } = await benchRuntime();
  try {
    const { destination } = await runtime.app.get(DestinationsService).createDestination({
      name: 'Bench',
      adminEmail: 'bench@example.org',
      adminPassword: 'bench password 1',
    });
    const access = runtime.app.get(AccessService);
    const auth = {
      destinationId: destination.id,
      principal: { kind: 'user' as const, userId: '', role: 'ADMIN' as never },
    };
    const { secret } = await access.createApiKey(auth, 'bench', [ApiScope.READ_AGGREGATES]);
    const headers = { 'x-api-key': secret };
    await opsPerSecond(500, CONCURRENCY, () => access.authenticate(headers)); // warm-up
    const ours = await opsPerSecond(N, CONCURRENCY, () => access.authenticate(headers));

    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const baseline = await opsPerSecond(N, CONCURRENCY, () =>
      pool.query(
        'SELECT id, destination_id, scopes, revoked_at FROM api_keys WHERE secret_hash = $1',
        [sha256(secret)],
      ),
    );
    await pool.end();
    report(`API key authentication (${N} calls, ${CONCURRENCY} at a time)`, ours, baseline);
  } finally {
    await drop();
  }
}
