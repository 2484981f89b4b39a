import { randomBytes } from 'node:crypto';
import { Controller, Get, Logger, Param, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError, ErrorCode, notFound } from '../../common/errors/app-error.js';
import { Public } from '../access/access.decorators.js';
import { renderWallPage, wallPageCsp } from './wall-page.js';
import { WallPubSub } from './wall-pubsub.js';
import { WallService, type PublicWallDestination } from './wall.service.js';

/** Posts a screen receives on connecting (it keeps at most about this many on screen). */
export const WALL_SNAPSHOT_SIZE = 48;
/** Open event streams per process: a public endpoint must not let anyone hold every socket. */
export const MAX_WALL_STREAMS = 500;
const KEEPALIVE_MS = 25_000;
/**
 * A stream ends after this long and the screen reconnects to a fresh snapshot: what no event
 * announces (a post whose author was erased, a change made while a listener reconnected) leaves
 * screens within this time.
 */
export const WALL_STREAM_MAX_MS = 10 * 60_000;

/**
 * The public side of the wall, for screens in places: no credentials (a screen cannot keep a
 * token safe), and nothing beyond what the office approved for the public: the public handle,
 * the text and the time of each post.
 */
@Controller('wall')
export class WallController implements OnModuleDestroy {
  private readonly logger = new Logger(WallController.name);
  private readonly streams = new Set<() => void>();
  /** WALL_STREAM_MAX_MS; tests shorten it. */
  streamMaxMs = WALL_STREAM_MAX_MS;

  constructor(
    private readonly wall: WallService,
    private readonly pubsub: WallPubSub,
  ) {}

  @Public()
  @Get(':destinationId')
  async page(@Param('destinationId') destinationId: string, @Res() res: Response) {
    const destination = await this.destination(destinationId);
    const nonce = randomBytes(16).toString('base64');
    res
      .status(200)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': wallPageCsp(nonce),
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
        'X-Content-Type-Options': 'nosniff',
      })
      .send(renderWallPage(destination, nonce));
  }

  /**
   * Server-sent events: `snapshot` (the newest approved posts) on connect, then `post` for each
   * approval and `remove` when an approved post is taken off. The subscription starts before the
   * snapshot is read, so nothing approved in between is lost (the page ignores duplicates);
   * EventSource reconnects by itself and gets a fresh snapshot.
   */
  @Public()
  @Get(':destinationId/events')
  async events(
    @Param('destinationId') destinationId: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    await this.destination(destinationId);
    if (this.streams.size >= MAX_WALL_STREAMS) {
      throw new AppError(ErrorCode.RATE_LIMITED, 'Too many wall screens connected, retry later');
    }
    const events = this.pubsub.subscribe(destinationId);
    let open = true;
    const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    const expiry = setTimeout(() => close(), this.streamMaxMs);
    const close = () => {
      if (!open) return;
      open = false;
      clearInterval(keepalive);
      clearTimeout(expiry);
      this.streams.delete(close);
      void events.return?.();
      res.end();
    };
    this.streams.add(close);
    req.on('close', close);
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // The socket goes with the stream: nothing is left open when a screen or the server stops.
      Connection: 'close',
      'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
      'X-Content-Type-Options': 'nosniff',
    });
    res.flushHeaders();
    const send = (event: string, data: unknown) => {
      if (open) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    try {
      res.write('retry: 3000\n\n');
      send('snapshot', { posts: await this.wall.publicPosts(destinationId, WALL_SNAPSHOT_SIZE) });
      for await (const event of events) {
        if (event.type === 'approved') send('post', event.post);
        else send('remove', { id: event.interactionId });
      }
    } catch (error) {
      // The headers are gone: all that is left is to end the stream; the screen reconnects.
      this.logger.warn(`wall stream of ${destinationId} ended: ${String(error)}`);
    } finally {
      close();
    }
  }

  /**
   * Open streams would hold the HTTP server's close (Apollo's drain waits 10 s for every open
   * connection): end them first. This module's hooks run before the GraphQL module's.
   */
  onModuleDestroy(): void {
    for (const close of [...this.streams]) close();
  }

  private async destination(id: string): Promise<PublicWallDestination> {
    const destination = await this.wall.publicDestination(id);
    if (!destination) throw notFound('Wall');
    return destination;
  }
}
