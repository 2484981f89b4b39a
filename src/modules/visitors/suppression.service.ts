import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { normalizeEmail } from '../access/access.service.js';

const hmac = (salt: string, value: string) =>
  createHmac('sha256', salt).update(value).digest('hex');

/** Account hashes a process keeps (~150 bytes each). */
const ACCOUNT_HASHES_KEPT = 50_000;

/** A social account as the suppression list knows it. */
export interface SuppressibleIdentity {
  provider: string;
  externalId?: string | null;
  handle?: string | null;
}

/**
 * What is suppressed of a social account: its provider id when known (stable: the same person
 * whatever their handle, and a handle that later changes hands does not block its new owner),
 * else its handle (an identity imported by handle only).
 */
export function identitySuppressionKey(identity: SuppressibleIdentity): string | null {
  if (identity.externalId) return `social:${identity.provider}:id:${identity.externalId}`;
  if (identity.handle) return `social:${identity.provider}:handle:${identity.handle.toLowerCase()}`;
  return null;
}

/**
 * An erased account's handle, for imports only: a file naming the handle must not bring the
 * person back, whether we knew their provider id or not. Ingestion does not read it (it reads
 * identitySuppressionKey): the handle may later be someone else's, who posts under another id.
 */
export function erasedHandleKey(provider: string, handle: string): string {
  return `social:${provider}:erased-handle:${handle.toLowerCase()}`;
}

/**
 * Every key under which a file or a booking naming this account finds it suppressed: its id's,
 * its handle's, and an erased account's handle's.
 */
function lookupKeys(identity: SuppressibleIdentity): string[] {
  return [
    ...accountKeys(identity),
    ...(identity.handle ? [erasedHandleKey(identity.provider, identity.handle)] : []),
  ];
}

/** The keys an account is suppressed under: its id's, and its handle's (known by handle only). */
function accountKeys(identity: SuppressibleIdentity): string[] {
  return [
    identitySuppressionKey({ ...identity, handle: null }),
    identitySuppressionKey({ ...identity, externalId: null }),
  ].filter((key): key is string => !!key);
}

/**
 * The suppression list: addresses never to import or message again, and social accounts never
 * to profile again (erased people), kept as HMAC-SHA-256 with the destination's secret salt
 * (destinations.secret_salt) so the list holds no address, id or handle.
 */
@Injectable()
export class SuppressionService {
  /** Salts never change once a destination exists: read once per process. */
  private readonly salts = new Map<string, string>();
  /**
   * Account hashes already worked out, by destination and key (a salt never changes): the ingest
   * meets the same accounts page after page. The oldest go first beyond ACCOUNT_HASHES_KEPT.
   */
  private readonly accountHashes = new Map<string, string>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private async salt(destinationId: string, manager?: EntityManager): Promise<string> {
    const known = this.salts.get(destinationId);
    if (known) return known;
    const rows: { secret_salt: string }[] = await (manager ?? this.dataSource).query(
      'SELECT secret_salt FROM destinations WHERE id = $1',
      [destinationId],
    );
    if (!rows.length) throw new Error(`destination ${destinationId} not found`);
    this.salts.set(destinationId, rows[0].secret_salt);
    return rows[0].secret_salt;
  }

  private hash(salt: string, address: string): string {
    return hmac(salt, normalizeEmail(address));
  }

  /** Suppresses social accounts (an erasure): see identitySuppressionKey and erasedHandleKey. */
  async suppressIdentities(
    destinationId: string,
    identities: SuppressibleIdentity[],
    reason: string,
    manager?: EntityManager,
  ): Promise<void> {
    const salt = await this.salt(destinationId, manager);
    const keys = identities
      .flatMap((i) => [
        identitySuppressionKey(i),
        i.handle ? erasedHandleKey(i.provider, i.handle) : null,
      ])
      .filter((k): k is string => !!k);
    const unique = [...new Set(keys.map((key) => hmac(salt, key)))];
    if (!unique.length) return;
    await (manager ?? this.dataSource).query(
      `INSERT INTO suppressions (destination_id, address_hash, reason)
       SELECT $1, h, $3 FROM unnest($2::text[]) AS h
       ON CONFLICT (destination_id, address_hash) DO NOTHING`,
      [destinationId, unique, reason],
    );
  }

  /**
   * The hashes under which each account may be suppressed, in order: its id's, and its handle's
   * (an erased identity known by handle only). For a caller that looks them up in
   * `suppressions.address_hash` together with other reads.
   */
  async identityHashes(
    destinationId: string,
    identities: SuppressibleIdentity[],
    manager?: EntityManager,
  ): Promise<string[][]> {
    if (!identities.length) return [];
    const salt = await this.salt(destinationId, manager);
    return identities.map((identity) =>
      accountKeys(identity).map((key) => this.accountHash(destinationId, salt, key)),
    );
  }

  /** hmac(salt, key), kept (see accountHashes). */
  private accountHash(destinationId: string, salt: string, key: string): string {
    const cacheKey = `${destinationId}|${key}`;
    let hash = this.accountHashes.get(cacheKey);
    if (hash === undefined) {
      hash = hmac(salt, key);
      if (this.accountHashes.size >= ACCOUNT_HASHES_KEPT) {
        this.accountHashes.delete(this.accountHashes.keys().next().value as string);
      }
      this.accountHashes.set(cacheKey, hash);
    }
    return hash;
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

  /**
   * Which of these handles (of `provider`) an import must not bring back, lower case: an erased
   * account's, known by id or by handle only. One query.
   */
  async handlesSuppressedAmong(
    destinationId: string,
    provider: string,
    handles: string[],
    manager?: EntityManager,
  ): Promise<Set<string>> {
    if (!handles.length) return new Set<string>();
    const salt = await this.salt(destinationId, manager);
    const byHash = new Map<string, string>();
    for (const handle of handles) {
      const lower = handle.toLowerCase();
      for (const key of lookupKeys({ provider, handle: lower })) byHash.set(hmac(salt, key), lower);
    }
    return this.listed(destinationId, byHash, manager);
  }

  /**
   * Whether a person named by these accounts was erased: by an account's id, its handle, or an
   * erased account's handle (erasedHandleKey), as a booking's inline guest names them. One query.
   */
  async anyIdentitySuppressed(
    destinationId: string,
    identities: SuppressibleIdentity[],
    manager?: EntityManager,
  ): Promise<boolean> {
    const salt = await this.salt(destinationId, manager);
    const byHash = new Map(
      identities.flatMap(lookupKeys).map((key) => [hmac(salt, key), true] as const),
    );
    return (await this.listed(destinationId, byHash, manager)).size > 0;
  }

  /** Which of `addresses` are suppressed (normalised), in one query: for imports. */
  async suppressedAmong(destinationId: string, addresses: string[], manager?: EntityManager) {
    if (!addresses.length) return new Set<string>();
    const salt = await this.salt(destinationId, manager);
    const byHash = new Map(addresses.map((a) => [this.hash(salt, a), normalizeEmail(a)]));
    return this.listed(destinationId, byHash, manager);
  }

  /** What the hashes on the list stand for (`byHash`: hash → what it is the hash of). */
  private async listed<T>(
    destinationId: string,
    byHash: Map<string, T>,
    manager?: EntityManager,
  ): Promise<Set<T>> {
    if (!byHash.size) return new Set<T>();
    const rows: { address_hash: string }[] = await (manager ?? this.dataSource).query(
      'SELECT address_hash FROM suppressions WHERE destination_id = $1 AND address_hash = ANY($2)',
      [destinationId, [...byHash.keys()]],
    );
    return new Set(rows.map((r) => byHash.get(r.address_hash)!));
  }
}
