import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../infra/config/config.js';
import { InteractionEntity, WallStatus } from '../social/interaction.entity.js';
import { WallPubSub } from './wall-pubsub.js';

export const WALL_CHANNEL = 'escale_wall';
const RECONNECT_MS = 2_000;

/** A post entered or left a destination's wall: what travels between processes (ids only). */
export interface WallChange {
  destinationId: string;
  type: 'approved' | 'removed';
  interactionId: string;
}

/**
 * Carries wall changes to every API process, so that a screen or subscriber connected to any
 * replica sees an approval made on another: PostgreSQL NOTIFY, sent inside the moderation's
 * transaction (delivered on commit, never for a rolled-back change), and one LISTEN connection
 * per process that serves HTTP. Each process then reads the post once and hands it to its local
 * subscribers. The embedded PostgreSQL (PGlite) does not deliver notifications across
 * connections, and runs one process anyway: there, changes go straight to the local subscribers.
 */
@Injectable()
export class WallNotifier implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WallNotifier.name);
  private listener?: pg.Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pubsub: WallPubSub,
  ) {}

  private get viaDatabase(): boolean {
    return !this.config.embedded;
  }

  async onModuleInit(): Promise<void> {
    if (this.viaDatabase && this.config.role !== 'worker') await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.listener?.end().catch(() => undefined);
  }

  /** Inside the transaction that made the change. */
  async announce(m: EntityManager, change: WallChange): Promise<void> {
    if (this.viaDatabase)
      await m.query('SELECT pg_notify($1, $2)', [WALL_CHANNEL, JSON.stringify(change)]);
  }

  /** After that transaction committed. */
  async committed(change: WallChange): Promise<void> {
    if (!this.viaDatabase) await this.deliver(change);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.config.databaseUrl,
      application_name: `escale-${this.config.role}-wall`,
    });
    client.on('notification', (message) => {
      if (message.channel !== WALL_CHANNEL || !message.payload) return;
      this.deliver(JSON.parse(message.payload) as WallChange).catch((e: unknown) =>
        this.logger.warn(`wall change not delivered: ${String(e)}`),
      );
    });
    // A lost connection is opened again; changes made meanwhile reach screens when they reconnect.
    client.on('error', (e) => {
      this.logger.warn(`wall listener: ${e.message}`);
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    this.listener = client;
    await client.connect();
    await client.query(`LISTEN ${WALL_CHANNEL}`);
  }

  private reconnect(client: pg.Client): void {
    if (this.stopped || this.listener !== client || this.retry) return;
    this.listener = undefined;
    client.end().catch(() => undefined);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.listen().catch((e: unknown) => {
        this.logger.warn(`wall listener: ${String(e)}`);
        if (this.listener) this.reconnect(this.listener);
      });
    }, RECONNECT_MS);
  }

  private async deliver(change: WallChange): Promise<void> {
    const { destinationId, interactionId } = change;
    if (change.type === 'removed') {
      this.pubsub.publish({ destinationId, type: 'removed', interactionId });
      return;
    }
    // Read once per process, whatever the number of screens and subscribers.
    const [interaction, [row]] = await Promise.all([
      this.dataSource
        .getRepository(InteractionEntity)
        .findOneBy({ id: interactionId, destinationId }),
      this.dataSource.query<{ handle: string | null }[]>(
        'SELECT s.handle FROM interactions i JOIN social_identities s ON s.id = i.author_identity_id WHERE i.id = $1',
        [interactionId],
      ),
    ]);
    // Re-moderated or erased meanwhile: a later change says what to show.
    if (!interaction || interaction.wallStatus !== WallStatus.APPROVED || interaction.text === null)
      return;
    this.pubsub.publish({
      destinationId,
      type: 'approved',
      interaction,
      post: {
        id: interaction.id,
        handle: row?.handle ?? null,
        text: interaction.text,
        occurredAt: interaction.occurredAt.toISOString(),
      },
    });
  }
}
