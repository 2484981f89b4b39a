import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

export interface SmtpSinkOptions {
  /**
   * Parse each message with mailparser into `messages` (default). `false` only counts them and
   * keeps the raw size: what a benchmark wants, parsing costs more than sending.
   */
  parse?: boolean;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Accepted messages, parsed, in the order their DATA ended. */
  messages: ParsedMail[];
  /** Accepted messages (also counted when `parse` is false). */
  readonly received: number;
  /** Resolves with the messages once `n` have been accepted (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<ParsedMail[]>;
  /**
   * Answers RCPT TO for this address with 451 (try later) or 550 (no such user), `times` times
   * (default: always), then accepts it again.
   */
  failRecipient(address: string, code: 451 | 550, times?: number): void;
  close(): Promise<void>;
}

class SmtpReply extends Error {
  constructor(
    message: string,
    readonly responseCode: number,
  ) {
    super(message);
  }
}

/**
 * A real SMTP server on a free loopback port (smtp-server), accepting every sender and recipient
 * without TLS or authentication, for tests and benchmarks of the mail channel.
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const parse = options.parse !== false;
  const messages: ParsedMail[] = [];
  let received = 0;
  const failures = new Map<string, { code: 451 | 550; left: number }>();
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const drain = async (stream: SMTPServerDataStream) => {
    if (parse) return simpleParser(stream);
    for await (const chunk of stream) void chunk;
    return undefined;
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // A pool keeps connections open between messages; do not cut them while a test waits.
    socketTimeout: 120_000,
    // close() waits this long for clients (an idle pool) to hang up before cutting them.
    closeTimeout: 500,
    onRcptTo(address, _session, callback) {
      const failure = failures.get(address.address.toLowerCase());
      if (failure && failure.left > 0) {
        failure.left -= 1;
        return callback(
          failure.code === 550
            ? new SmtpReply('5.1.1 No such user here', 550)
            : new SmtpReply('4.2.0 Mailbox busy, try again later', 451),
        );
      }
      callback();
    },
    onData(stream, _session, callback) {
      drain(stream).then(
        (mail) => {
          if (mail) messages.push(mail);
          received += 1;
          callback();
          notify();
        },
        (error: Error) => callback(error),
      );
    },
  });
  server.on('error', () => {
    // A client that drops its connection is not the sink's failure.
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    get received() {
      return received;
    },
    waitFor(n, timeoutMs = 10_000) {
      return new Promise<ParsedMail[]>((resolve, reject) => {
        const check = () => {
          if (received >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(messages);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SMTP sink: ${received} of ${n} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    failRecipient(address, code, times = Infinity) {
      failures.set(address.toLowerCase(), { code, left: times });
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
