import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { normalizeEmail } from '../access/access.service.js';

/**
 * The suppression list: addresses never to import or message again, kept as HMAC-SHA-256 with
 * the destination's secret salt (destinations.secret_salt) so the list holds no address.
 */
@Injectable()
export class SuppressionService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private async salt(destinationId: string, manager?: EntityManager): Promise<string> {
    const rows: { secret_salt: string }[] = await (manager ?? this.dataSource).query(
      'SELECT secret_salt FROM destinations WHERE id = $1',
      [destinationId],
    );
    if (!rows.length) throw new Error(`destination ${destinationId} not found`);
    return rows[0].secret_salt;
  }

  private hash(salt: string, address: string): string {
    return createHmac('sha256', salt).update(normalizeEmail(address)).digest('hex');
  }

  async suppress(destinationId: string, address: string, reason: string, manager?: EntityManager) {
    const hash = this.hash(await this.salt(destinationId, manager), address);
    await (manager ?? this.dataSource).query(
      `INSERT INTO suppressions (destination_id, address_hash, reason) VALUES ($1, $2, $3)
       ON CONFLICT (destination_id, address_hash) DO NOTHING`,
      [destinationId, hash, reason],
    );
  }

  async isSuppressed(destinationId: string, address: string, manager?: EntityManager) {
    return (await this.suppressedAmong(destinationId, [address], manager)).size > 0;
  }

  /** Which of `addresses` are suppressed (normalised), in one query: for imports. */
  async suppressedAmong(destinationId: string, addresses: string[], manager?: EntityManager) {
    if (!addresses.length) return new Set<string>();
    const salt = await this.salt(destinationId, manager);
    const byHash = new Map(addresses.map((a) => [this.hash(salt, a), normalizeEmail(a)]));
    const rows: { address_hash: string }[] = await (manager ?? this.dataSource).query(
      'SELECT address_hash FROM suppressions WHERE destination_id = $1 AND address_hash = ANY($2)',
      [destinationId, [...byHash.keys()]],
    );
    return new Set(rows.map((r) => byHash.get(r.address_hash)!));
  }
}
