import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const NAME_LIMIT = 63; // NAMEDATALEN - 1: longer statement names are truncated by PostgreSQL

/** A frontend or backend message with a type byte. */
function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type);
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}
const cstring = (s: string) => Buffer.from(`${s}\0`);
const SYNC = message('S');

/** Splits backend output into whole messages. */
function* messages(out: Buffer): Generator<Buffer> {
  for (let at = 0; at + 5 <= out.length;) {
    const end = at + 1 + out.readInt32BE(at + 1);
    yield out.subarray(at, end);
    at = end;
  }
}

/** Reads a NUL-terminated string at `at`; returns it and the offset after it. */
function readCString(buf: Buffer, at: number): [string, number] {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
}

/**
 * LISTEN / UNLISTEN commands in a query text (comments removed; quoted identifiers kept as
 * written, others folded to lower case, as PostgreSQL does).
 */
export function listenCommands(sql: string): Array<{ listen: boolean; channel: string }> {
  const bare = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  const commands: Array<{ listen: boolean; channel: string }> = [];
  for (const statement of bare.split(';')) {
    const m = /^\s*(UN)?LISTEN\s+("((?:[^"]|"")+)"|[^\s"]+)\s*$/i.exec(statement);
    if (!m) continue;
    const channel = m[3] !== undefined ? m[3].replace(/""/g, '"') : m[2].toLowerCase();
    commands.push({ listen: !m[1], channel });
  }
  return commands;
}

export interface PgliteServerOptions {
  host?: string;
  /** 0 (default) for a free port. */
  port?: number;
  maxConnections?: number;
}

/**
 * Serves one PGlite instance over the PostgreSQL wire protocol on loopback, to the several client
 * connections of TypeORM's and BullMQ's pools, and makes them behave like separate sessions where
 * the clients rely on it.
 *
 * PGlite is a single backend session. What a client leaves in it between two of its messages is
 * seen by the next message, whoever sends it: the unnamed statement and portal of the extended
 * protocol (Parse / Bind / Execute / Sync), an open transaction, the error state that skips
 * messages until Sync. So a connection owns the session from its first message until the backend
 * answers ReadyForQuery "idle" (after Sync or a simple query, outside a transaction); the others
 * wait their turn, first come first served. pglite-socket's server (0.2.17) keeps a connection's
 * messages together only inside a transaction: a batch whose messages arrive in two reads lets
 * another connection's Parse replace the unnamed statement in between ("bind message supplies 7
 * parameters, but prepared statement "" requires 1", or another connection's rows), and one
 * internal error stops its queue for good (electric-sql/pglite#1046).
 *
 * What else is per session in PostgreSQL and relied upon here:
 * - named prepared statements and portals (pg caches them per connection; rate-limiter-flexible
 *   names its statements): each connection's names are prefixed with its own id, and its
 *   statements are deallocated when it closes;
 * - LISTEN / NOTIFY (BullMQ's workers wait on `bullmq_jobs`): PGlite emits a notification in the
 *   output of the command that committed it; it is routed to the connections that LISTEN on the
 *   channel, as PostgreSQL delivers it to every listening session.
 * Settings (SET), temporary tables and advisory locks stay shared by all connections.
 */
export class PgliteServer {
  private server?: Server;
  private readonly connections = new Set<Connection>();
  private owner?: Connection;
  private readonly waiting: Array<{ connection: Connection; resolve: (granted: boolean) => void }> =
    [];
  private nextId = 1;

  constructor(
    readonly db: PGlite,
    private readonly options: PgliteServerOptions = {},
  ) {}

  /** Starts listening; returns `host:port`. */
  async start(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    await this.db.waitReady;
    const server = createServer((socket) => {
      const connection = new Connection(this, socket, this.nextId++);
      this.connections.add(connection);
      void connection.finished.then(() => this.connections.delete(connection));
    });
    server.maxConnections = this.options.maxConnections ?? 64;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('PGlite server: no TCP address');
    return `${host}:${address.port}`;
  }

  /** Stops accepting, closes every connection (rolling back what they left open), then returns. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of this.connections) connection.socket.destroy();
    await Promise.all([...this.connections].map((c) => c.finished));
    await closed;
  }

  /** Resolves when `connection` owns the session (true), or false when it closed while waiting. */
  acquire(connection: Connection): Promise<boolean> | boolean {
    if (this.owner === connection) return true;
    if (!this.owner) {
      this.owner = connection;
      return true;
    }
    return new Promise((resolve) => this.waiting.push({ connection, resolve }));
  }

  release(connection: Connection): void {
    if (this.owner !== connection) return;
    const next = this.waiting.shift();
    this.owner = next?.connection;
    next?.resolve(true);
  }

  /** A connection that closed stops waiting for the session. */
  withdraw(connection: Connection): void {
    const index = this.waiting.findIndex((w) => w.connection === connection);
    if (index >= 0) this.waiting.splice(index, 1)[0].resolve(false);
  }

  /** Runs frontend messages on the session (the caller owns it); returns the backend output. */
  async run(input: Uint8Array): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(input, {
        onRawData: (data) => chunks.push(Buffer.from(data)), // a copy: PGlite reuses its buffer
      }),
    );
    return Buffer.concat(chunks);
  }

  /** Sends a NotificationResponse to every connection listening on its channel. */
  notify(notification: Buffer): void {
    const [channel] = readCString(notification, 9); // type, length, sender pid
    for (const connection of this.connections) {
      if (connection.listens(channel)) connection.socket.write(notification);
    }
  }

  /** The channels some open connection listens on. */
  channels(): Set<string> {
    const all = new Set<string>();
    for (const connection of this.connections) connection.addChannelsTo(all);
    return all;
  }
}

/** One client connection: its messages run in order, each with the session owned. */
class Connection {
  readonly finished: Promise<void>;
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private closed = false;
  /** The backend is idle for this connection: nothing of it is pending in the session. */
  private atRest = true;
  private chain: Promise<void> = Promise.resolve();
  private readonly prefix: string;
  /** This connection's prepared statements, by their name in the session. */
  private readonly statements = new Set<string>();
  private readonly listening = new Set<string>();
  /** An UNLISTEN ran: the session may have stopped listening for other connections. */
  private relisten = false;

  constructor(
    private readonly server: PgliteServer,
    readonly socket: Socket,
    id: number,
  ) {
    this.prefix = `c${id}:`;
    socket.setNoDelay(true);
    let done!: () => void;
    this.finished = new Promise((resolve) => (done = resolve));
    socket.on('data', (data: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
      this.schedule(() => this.drain());
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      this.server.withdraw(this);
      this.schedule(() => this.cleanup());
      void this.chain.then(done);
    });
  }

  listens(channel: string): boolean {
    return !this.closed && this.listening.has(channel);
  }

  addChannelsTo(channels: Set<string>): void {
    if (!this.closed) for (const channel of this.listening) channels.add(channel);
  }

  private schedule(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch(() => {
      // An internal failure: drop the connection (cleanup resets the session and passes it on).
      this.socket.destroy();
    });
  }

  /** The next complete message in the buffer (startup-phase messages have no type byte). */
  private next(): Buffer | undefined {
    const headerAt = this.started ? 1 : 0;
    if (this.buffer.length < headerAt + 4) return undefined;
    const length = headerAt + this.buffer.readInt32BE(headerAt);
    if (this.buffer.length < length) return undefined;
    const next = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return next;
  }

  private async drain(): Promise<void> {
    for (let input = this.next(); input && !this.closed; input = this.next()) {
      if (!this.started) {
        const code = input.length >= 8 ? input.readInt32BE(4) : 0;
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST || input.length < 8) {
          // No backend process to signal: dropped, as PostgreSQL drops a cancel with unknown keys.
          this.socket.destroy();
          return;
        }
        this.started = true;
      } else if (input[0] === 0x58 /* X: Terminate */) {
        this.socket.end();
        return;
      } else {
        input = this.localise(input);
      }
      if (!(await this.server.acquire(this)) || this.closed) return;
      this.atRest = false;
      const out = await this.server.run(input);
      this.reply(out);
      if (this.atRest) {
        if (this.relisten) await this.restoreListens();
        this.server.release(this);
      }
    }
  }

  /** Writes the output; routes notifications to their listeners; notes whether the session rests. */
  private reply(out: Buffer): void {
    let last: Buffer | undefined;
    let own = out;
    const notifications: Buffer[] = [];
    for (const m of messages(out)) {
      last = m;
      if (m[0] === 0x41 /* A: NotificationResponse */) notifications.push(m);
    }
    if (notifications.length) own = Buffer.concat([...messages(out)].filter((m) => m[0] !== 0x41));
    if (own.length && !this.socket.destroyed) this.socket.write(own);
    for (const notification of notifications) this.server.notify(notification);
    this.atRest =
      last !== undefined &&
      last[0] === 0x5a /* Z: ReadyForQuery */ &&
      last[5] === 0x49; /* I: idle */
  }

  /**
   * Gives this connection its own namespace of prepared statements and portals (prefixing their
   * names), and notes its LISTEN / UNLISTEN commands.
   */
  private localise(input: Buffer): Buffer {
    const type = String.fromCharCode(input[0]);
    const body = input.subarray(5);
    switch (type) {
      case 'Q': {
        this.track(readCString(body, 0)[0]);
        return input;
      }
      case 'P': {
        const [name, at] = readCString(body, 0);
        this.track(readCString(body, at)[0]);
        if (!name) return input;
        const local = this.local(name);
        this.statements.add(local);
        return message('P', Buffer.concat([cstring(local), body.subarray(at)]));
      }
      case 'B': {
        const [portal, at] = readCString(body, 0);
        const [statement, rest] = readCString(body, at);
        if (!portal && !statement) return input;
        return message(
          'B',
          Buffer.concat([
            cstring(this.local(portal)),
            cstring(this.local(statement)),
            body.subarray(rest),
          ]),
        );
      }
      case 'D':
      case 'C': {
        const [name, rest] = readCString(body, 1);
        if (!name) return input;
        const local = this.local(name);
        if (type === 'C' && body[0] === 0x53 /* S */) this.statements.delete(local);
        return message(
          type,
          Buffer.concat([body.subarray(0, 1), cstring(local), body.subarray(rest)]),
        );
      }
      case 'E': {
        const [portal, rest] = readCString(body, 0);
        if (!portal) return input;
        return message('E', Buffer.concat([cstring(this.local(portal)), body.subarray(rest)]));
      }
      default:
        return input;
    }
  }

  /** The session-wide name of one of this connection's statements or portals ('' stays unnamed). */
  private local(name: string): string {
    if (!name) return name;
    const local = this.prefix + name;
    if (Buffer.byteLength(local) <= NAME_LIMIT) return local;
    return this.prefix + createHash('sha1').update(name).digest('hex');
  }

  private track(sql: string): void {
    for (const { listen, channel } of listenCommands(sql)) {
      if (listen) {
        this.listening.add(channel);
      } else {
        if (channel === '*') this.listening.clear();
        else this.listening.delete(channel);
        this.relisten = true;
      }
    }
  }

  /** After an UNLISTEN, the session listens again on what the other connections still wait for. */
  private async restoreListens(): Promise<void> {
    this.relisten = false;
    const channels = [...this.server.channels()];
    if (!channels.length) return;
    const sql = channels.map((c) => `LISTEN "${c.replace(/"/g, '""')}";`).join(' ');
    await this.server.run(message('Q', cstring(sql)));
  }

  /** Leaves the session as if this connection had been a session of its own that ended. */
  private async cleanup(): Promise<void> {
    if (this.atRest && !this.statements.size) return;
    if (!(await this.server.acquire(this))) return;
    try {
      if (this.server.db.closed) return;
      // Ends a half-sent batch (and the error state that skips messages until Sync), rolls back
      // an open transaction, then deallocates this connection's statements.
      if (!this.atRest) {
        await this.server.run(SYNC);
        if (this.server.db.isInTransaction())
          await this.server.run(message('Q', cstring('ROLLBACK')));
      }
      if (this.statements.size) {
        const close = [...this.statements].map((name) =>
          message('C', Buffer.concat([Buffer.from('S'), cstring(name)])),
        );
        await this.server.run(Buffer.concat([...close, SYNC]));
      }
    } finally {
      this.statements.clear();
      this.atRest = true;
      this.server.release(this);
    }
  }
}
