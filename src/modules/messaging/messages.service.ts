import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import type { RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { badInput, notFound } from '../../common/errors/app-error.js';
import {
  pageRequest,
  toConnection,
  type Connection,
  type PageArgs,
} from '../../common/pagination/relay.js';
import { assertId, isUuid } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { SqlParams } from '../segments/segment-filter.compiler.js';
import { MessageContextBuilder } from './message-context.js';
import { MessageEntity, MessageStatus } from './message.entity.js';
import { MessageSender } from './message-sender.service.js';
import { TemplateRenderError } from './rendering/template-renderer.js';

export interface MessageFilter {
  campaignId?: string | null;
  visitorId?: string | null;
  status?: MessageStatus | null;
}

export interface RenderedMessageResult {
  subject: string | null;
  body: string;
  locale: string;
}

/** Reads of the outbox (pages, newest first) and the preview of a step for one visitor. */
@Injectable()
export class MessagesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sender: MessageSender,
    private readonly context: MessageContextBuilder,
  ) {}

  /** Newest first on (created_at, id), with an exact total. */
  async list(
    auth: AuthContext,
    filter: MessageFilter,
    args: PageArgs,
  ): Promise<Connection<MessageEntity>> {
    const { limit, after } = pageRequest(args);
    const p = new SqlParams();
    const where = [
      `m.destination_id = ${p.add(auth.destinationId)}::uuid`,
      // An erased visitor is never shown again (visitor(id) is NOT_FOUND), nor their messages;
      // the rows stay, as the campaign's record.
      'NOT EXISTS (SELECT 1 FROM visitors v WHERE v.id = m.visitor_id AND v.erased_at IS NOT NULL)',
    ];
    if (filter.campaignId)
      where.push(`m.campaign_id = ${p.add(assertId(filter.campaignId))}::uuid`);
    if (filter.visitorId) where.push(`m.visitor_id = ${p.add(assertId(filter.visitorId))}::uuid`);
    if (filter.status) {
      // SENDING is internal: it reads as QUEUED.
      where.push(
        filter.status === MessageStatus.QUEUED
          ? "m.status IN ('QUEUED', 'SENDING')"
          : `m.status = ${p.add(filter.status)}::message_status`,
      );
    }
    const total = where.join(' AND ');
    const totalParams = p.values.length;
    let pageWhere = total;
    if (after) {
      const at = new Date(String(after.sortKey));
      if (Number.isNaN(at.getTime()) || !isUuid(after.id)) {
        throw badInput('Invalid cursor', { argument: 'after' });
      }
      pageWhere += ` AND (m.created_at, m.id) < (${p.add(at.toISOString())}::timestamptz, ${p.add(after.id)}::uuid)`;
    }
    const [ids, [{ n }]] = await Promise.all([
      limit === 0
        ? Promise.resolve([])
        : (this.dataSource.query(
            `SELECT m.id FROM messages m WHERE ${pageWhere}
              ORDER BY m.created_at DESC, m.id DESC LIMIT ${p.add(limit + 1)}::int`,
            p.values,
          ) as Promise<{ id: string }[]>),
      this.dataSource.query(
        `SELECT count(*)::int AS n FROM messages m WHERE ${total}`,
        p.values.slice(0, totalParams),
      ) as Promise<{ n: number }[]>,
    ]);
    const rows = await this.byIds(ids.map((r) => r.id));
    return toConnection(rows, limit, n, (m) => m.createdAt.toISOString());
  }

  /** Visitor.messages: first pages of every visitor of a list in one query. */
  ofVisitor(
    loaders: RequestLoaders,
    auth: AuthContext,
    visitorId: string,
    args: PageArgs,
  ): Promise<Connection<MessageEntity>> {
    if (args.after) return this.list(auth, { visitorId }, args);
    const { limit } = pageRequest(args);
    return loaders
      .get<string, Connection<MessageEntity>>(`visitor.messages:${limit}`, async (ids) => {
        const [ranked, counts] = await Promise.all([
          this.dataSource.query(
            `SELECT id FROM (
               SELECT id, row_number() OVER (PARTITION BY visitor_id
                                             ORDER BY created_at DESC, id DESC) AS rn
                 FROM messages WHERE visitor_id = ANY($1::uuid[]) AND destination_id = $2) r
              WHERE rn <= $3`,
            [[...ids], auth.destinationId, limit + 1],
          ) as Promise<{ id: string }[]>,
          this.dataSource.query(
            `SELECT visitor_id, count(*)::int AS n FROM messages
              WHERE visitor_id = ANY($1::uuid[]) AND destination_id = $2 GROUP BY visitor_id`,
            [[...ids], auth.destinationId],
          ) as Promise<{ visitor_id: string; n: number }[]>,
        ]);
        const rows = await this.byIds(ranked.map((r) => r.id));
        const totals = new Map(counts.map((c) => [c.visitor_id, c.n]));
        return ids.map((id) =>
          toConnection(
            rows.filter((r) => r.visitorId === id),
            limit,
            totals.get(id) ?? 0,
            (m) => m.createdAt.toISOString(),
          ),
        );
      })
      .load(visitorId);
  }

  /** Entities by id, newest first (created_at, id). */
  private async byIds(ids: string[]): Promise<MessageEntity[]> {
    if (!ids.length) return [];
    const rows = await this.dataSource.getRepository(MessageEntity).findBy({ id: In(ids) });
    return rows.sort(
      (a, b) =>
        b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    );
  }

  /** Exactly what the worker would render for this visitor now (same variant, same context). */
  async preview(
    auth: AuthContext,
    campaignId: string,
    stepId: string,
    visitorId: string,
  ): Promise<RenderedMessageResult> {
    const [step]: { id: string; channel: MessageEntity['channel'] }[] = await this.dataSource.query(
      `SELECT s.id, s.channel FROM campaign_steps s
         JOIN campaigns c ON c.id = s.campaign_id
        WHERE s.id = $1 AND c.id = $2 AND c.destination_id = $3`,
      [assertId(stepId, 'stepId'), assertId(campaignId, 'campaignId'), auth.destinationId],
    );
    if (!step) throw notFound('Campaign step', stepId);
    const visitor = await this.context.visitor(
      auth.destinationId,
      assertId(visitorId, 'visitorId'),
    );
    if (!visitor || visitor.erased_at) throw notFound('Visitor', visitorId);
    // The stay a journey message would be about: the visitor's next (else latest) booked stay.
    const [stay]: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM stays WHERE visitor_id = $1 AND status <> 'CANCELLED'
        ORDER BY (departure_at < now()), abs(extract(epoch FROM arrival_at - now())) LIMIT 1`,
      [visitor.id],
    );
    const destination = await this.context.destination(auth.destinationId);
    // A preview's unsubscribe link names no real message: it is signed for a nil id, so
    // following it only ever revokes that visitor's consent, as a real one would.
    let rendered;
    try {
      rendered = await this.sender.renderFor(destination, visitor, {
        id: '00000000-0000-0000-0000-000000000000',
        step_id: step.id,
        stay_id: stay?.id ?? null,
        channel: step.channel,
      });
    } catch (error) {
      if (error instanceof TemplateRenderError) {
        throw badInput(`The template cannot be rendered for this visitor: ${error.message}`);
      }
      throw error;
    }
    return { subject: rendered.subject, body: rendered.text, locale: rendered.locale };
  }
}
