import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { groupByKeys, type RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { AppError, badInput, conflict, notFound } from '../../common/errors/app-error.js';
import { assertId, canonicalLocale } from '../../common/validation.js';
import type { AuthContext } from '../access/auth-context.js';
import { Channel } from '../visitors/consent.entity.js';
import { MessageStatus } from '../messaging/message.entity.js';
import { MessageOutbox } from '../messaging/message-outbox.js';
import { TemplateRenderer } from '../messaging/rendering/template-renderer.js';
import { updateReturning } from '../messaging/update-returning.js';
import { SegmentEntity } from '../segments/segment.entity.js';
import { SegmentsService } from '../segments/segments.service.js';
import { CampaignScheduler } from './campaign-scheduler.service.js';
import { CampaignStepEntity, StepAnchor } from './campaign-step.entity.js';
import { CampaignEntity, CampaignKind, CampaignStatus } from './campaign.entity.js';
import type { CampaignStepInput, CreateCampaignInput } from './campaigns.inputs.js';
import { parseLocalTime, parseSignedDuration } from './schedule/send-time.js';

export interface CampaignStatsCounts {
  scheduled: number;
  queued: number;
  sent: number;
  failed: number;
  suppressed: number;
  cancelled: number;
}

/** The anchors each kind of campaign may use. */
const ANCHORS: Record<CampaignKind, StepAnchor[]> = {
  [CampaignKind.BROADCAST]: [StepAnchor.SEND_AT],
  [CampaignKind.STAY_JOURNEY]: [StepAnchor.ARRIVAL, StepAnchor.DEPARTURE],
  [CampaignKind.AMBASSADOR_PROMOTED]: [StepAnchor.PROMOTION],
};

/**
 * Campaigns: creation (everything validated, templates parsed, nothing stored on a bad input),
 * the lifecycle DRAFT → ACTIVE ⇄ PAUSED → COMPLETED / ARCHIVED, and reads. Scheduling is the
 * CampaignScheduler's; sending is the messaging module's.
 */
@Injectable()
export class CampaignsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly segments: SegmentsService,
    private readonly scheduler: CampaignScheduler,
    private readonly outbox: MessageOutbox,
    private readonly renderer: TemplateRenderer,
    private readonly clock: Clock,
  ) {}

  // ------------------------------------------------------------------ reads

  list(auth: AuthContext, status?: CampaignStatus | null): Promise<CampaignEntity[]> {
    return this.dataSource.getRepository(CampaignEntity).find({
      where: { destinationId: auth.destinationId, ...(status ? { status } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
  }

  async get(auth: AuthContext, id: string, manager?: EntityManager): Promise<CampaignEntity> {
    const campaign = await (manager ?? this.dataSource)
      .getRepository(CampaignEntity)
      .findOneBy({ id: assertId(id), destinationId: auth.destinationId });
    if (!campaign) throw notFound('Campaign', id);
    return campaign;
  }

  async find(auth: AuthContext, id: string): Promise<CampaignEntity | null> {
    try {
      return await this.get(auth, id);
    } catch (error) {
      if (error instanceof AppError) return null;
      throw error;
    }
  }

  byId(loaders: RequestLoaders, auth: AuthContext, id: string): Promise<CampaignEntity | null> {
    return loaders
      .get<string, CampaignEntity | null>('campaign.byId', async (ids) => {
        const rows = await this.dataSource
          .getRepository(CampaignEntity)
          .createQueryBuilder('c')
          .where('c.id = ANY(:ids) AND c.destination_id = :d', {
            ids: [...ids],
            d: auth.destinationId,
          })
          .getMany();
        const byId = new Map(rows.map((r) => [r.id, r]));
        return ids.map((i) => byId.get(i) ?? null);
      })
      .load(id);
  }

  segmentOf(loaders: RequestLoaders, auth: AuthContext, id: string) {
    return loaders
      .get<string, SegmentEntity | null>('campaign.segment', async (ids) => {
        const rows = await this.dataSource
          .getRepository(SegmentEntity)
          .createQueryBuilder('s')
          .where('s.id = ANY(:ids) AND s.destination_id = :d', {
            ids: [...ids],
            d: auth.destinationId,
          })
          .getMany();
        const byId = new Map(rows.map((r) => [r.id, r]));
        return ids.map((i) => byId.get(i) ?? null);
      })
      .load(id);
  }

  stepsOf(loaders: RequestLoaders, campaignId: string): Promise<CampaignStepEntity[]> {
    return loaders
      .get<string, CampaignStepEntity[]>('campaign.steps', async (ids) => {
        const rows = await this.dataSource
          .getRepository(CampaignStepEntity)
          .createQueryBuilder('s')
          .where('s.campaign_id = ANY(:ids)', { ids: [...ids] })
          .orderBy('s.position', 'ASC')
          .getMany();
        return groupByKeys(ids, rows, (r) => r.campaignId);
      })
      .load(campaignId);
  }

  stepById(loaders: RequestLoaders, stepId: string): Promise<CampaignStepEntity | null> {
    return loaders
      .get<string, CampaignStepEntity | null>('campaign.stepById', async (ids) => {
        const rows = await this.dataSource
          .getRepository(CampaignStepEntity)
          .createQueryBuilder('s')
          .where('s.id = ANY(:ids)', { ids: [...ids] })
          .getMany();
        const byId = new Map(rows.map((r) => [r.id, r]));
        return ids.map((i) => byId.get(i) ?? null);
      })
      .load(stepId);
  }

  /** Counts by status (SENDING counts as QUEUED), one query for every campaign of a list. */
  stats(loaders: RequestLoaders, campaignId: string): Promise<CampaignStatsCounts> {
    return loaders
      .get<string, CampaignStatsCounts>('campaign.stats', async (ids) => {
        const rows: { campaign_id: string; status: MessageStatus; n: number }[] =
          await this.dataSource.query(
            `SELECT campaign_id, status, count(*)::int AS n FROM messages
              WHERE campaign_id = ANY($1::uuid[]) GROUP BY campaign_id, status`,
            [[...ids]],
          );
        return ids.map((id) => {
          const s: CampaignStatsCounts = {
            scheduled: 0,
            queued: 0,
            sent: 0,
            failed: 0,
            suppressed: 0,
            cancelled: 0,
          };
          for (const r of rows.filter((row) => row.campaign_id === id)) {
            const key = (
              r.status === MessageStatus.SENDING ? 'queued' : r.status.toLowerCase()
            ) as keyof CampaignStatsCounts;
            s[key] += r.n;
          }
          return s;
        });
      })
      .load(campaignId);
  }

  // ---------------------------------------------------------------- writes

  async create(auth: AuthContext, input: CreateCampaignInput): Promise<CampaignEntity> {
    const steps = await this.validate(auth, input);
    return this.dataSource.transaction(async (manager) => {
      const campaign = await manager.getRepository(CampaignEntity).save(
        manager.getRepository(CampaignEntity).create({
          destinationId: auth.destinationId,
          name: input.name.trim(),
          kind: input.kind,
          status: CampaignStatus.DRAFT,
          segmentId: input.segmentId ?? null,
          sendAt: input.kind === CampaignKind.BROADCAST ? input.sendAt! : null,
          frequencyCapPerWeek: input.frequencyCapPerWeek ?? null,
          activatedAt: null,
          activationDoneAt: null,
        }),
      );
      await manager.getRepository(CampaignStepEntity).insert(
        steps.map((s, position) => ({
          ...s,
          destinationId: auth.destinationId,
          campaignId: campaign.id,
          position,
        })),
      );
      return campaign;
    });
  }

  /** Replaces a DRAFT campaign's definition; an activated one is frozen (CONFLICT). */
  async update(auth: AuthContext, id: string, input: CreateCampaignInput): Promise<CampaignEntity> {
    const current = await this.get(auth, id);
    this.assertEditable(current);
    const steps = await this.validate(auth, input);
    await this.dataSource.transaction(async (manager) => {
      const locked = await manager
        .getRepository(CampaignEntity)
        .createQueryBuilder('c')
        .setLock('pessimistic_write')
        .where('c.id = :id', { id: current.id })
        .getOneOrFail();
      this.assertEditable(locked);
      await manager.getRepository(CampaignEntity).update(current.id, {
        name: input.name.trim(),
        kind: input.kind,
        segmentId: input.segmentId ?? null,
        sendAt: input.kind === CampaignKind.BROADCAST ? input.sendAt! : null,
        frequencyCapPerWeek: input.frequencyCapPerWeek ?? null,
      });
      await manager.getRepository(CampaignStepEntity).delete({ campaignId: current.id });
      await manager.getRepository(CampaignStepEntity).insert(
        steps.map((s, position) => ({
          ...s,
          destinationId: auth.destinationId,
          campaignId: current.id,
          position,
        })),
      );
    });
    return this.get(auth, id);
  }

  /** DRAFT → ACTIVE (scans the segment in background chunks); PAUSED → ACTIVE (resumes). */
  async activate(auth: AuthContext, id: string): Promise<CampaignEntity> {
    const { campaign, from } = await this.transition(
      auth,
      id,
      [CampaignStatus.DRAFT, CampaignStatus.PAUSED],
      CampaignStatus.ACTIVE,
      (c) => (c.status === CampaignStatus.DRAFT ? { activatedAt: this.clock.now() } : {}),
    );
    if (from === CampaignStatus.DRAFT) {
      await this.scheduler.startActivation({
        ...campaign,
        steps: await this.scheduler.steps(campaign.id),
      } as CampaignEntity);
    } else {
      // Held messages get their jobs back (a job removed on completion frees its id).
      const held: { id: string; scheduled_at: Date }[] = await this.dataSource.query(
        `SELECT id, scheduled_at FROM messages WHERE campaign_id = $1
            AND status IN ('SCHEDULED', 'QUEUED')`,
        [campaign.id],
      );
      await this.outbox.enqueue(held.map((m) => ({ id: m.id, scheduledAt: m.scheduled_at })));
    }
    return campaign;
  }

  /** ACTIVE → PAUSED: due messages are held by the worker until the campaign is resumed. */
  async pause(auth: AuthContext, id: string): Promise<CampaignEntity> {
    const { campaign } = await this.transition(
      auth,
      id,
      [CampaignStatus.ACTIVE],
      CampaignStatus.PAUSED,
    );
    return campaign;
  }

  /** Any state but ARCHIVED → ARCHIVED: pending messages are cancelled. */
  async archive(auth: AuthContext, id: string): Promise<CampaignEntity> {
    const { campaign } = await this.transition(
      auth,
      id,
      [
        CampaignStatus.DRAFT,
        CampaignStatus.ACTIVE,
        CampaignStatus.PAUSED,
        CampaignStatus.COMPLETED,
      ],
      CampaignStatus.ARCHIVED,
    );
    const cancelled = await updateReturning<{ id: string }>(
      this.dataSource,
      `UPDATE messages SET status = 'CANCELLED', updated_at = now()
        WHERE campaign_id = $1 AND status IN ('SCHEDULED', 'QUEUED') RETURNING id`,
      [campaign.id],
    );
    await this.outbox.remove(cancelled.map((r) => r.id));
    return campaign;
  }

  // -------------------------------------------------------------- internals

  private assertEditable(campaign: CampaignEntity) {
    if (campaign.status !== CampaignStatus.DRAFT) {
      throw conflict(
        `Campaign ${campaign.id} is ${campaign.status}: its steps can no longer change; duplicate it instead`,
        { status: campaign.status },
      );
    }
  }

  private async transition(
    auth: AuthContext,
    id: string,
    from: CampaignStatus[],
    to: CampaignStatus,
    extra: (c: CampaignEntity) => Partial<CampaignEntity> = () => ({}),
  ): Promise<{ campaign: CampaignEntity; from: CampaignStatus }> {
    await this.get(auth, id);
    return this.dataSource.transaction(async (manager) => {
      const campaign = await manager
        .getRepository(CampaignEntity)
        .createQueryBuilder('c')
        .setLock('pessimistic_write')
        .where('c.id = :id AND c.destination_id = :d', { id, d: auth.destinationId })
        .getOneOrFail();
      if (!from.includes(campaign.status)) {
        throw conflict(`A ${campaign.status} campaign cannot become ${to}`, {
          status: campaign.status,
        });
      }
      const previous = campaign.status;
      const changes = { status: to, ...extra(campaign) };
      await manager.getRepository(CampaignEntity).update(campaign.id, changes);
      return { campaign: { ...campaign, ...changes } as CampaignEntity, from: previous };
    });
  }

  /** Every rule of a definition; BAD_USER_INPUT naming the field, before anything is written. */
  private async validate(auth: AuthContext, input: CreateCampaignInput) {
    const name = input.name.trim();
    if (!name) throw badInput('A campaign needs a name', { field: 'name' });
    if (input.segmentId) await this.segments.get(auth, input.segmentId);
    const allowed = ANCHORS[input.kind];
    if (input.kind === CampaignKind.BROADCAST) {
      if (input.steps.length !== 1) {
        throw badInput('A BROADCAST has exactly one step', { field: 'steps' });
      }
      if (!input.sendAt) throw badInput('A BROADCAST needs sendAt', { field: 'sendAt' });
    } else if (input.sendAt) {
      throw badInput(`sendAt is for BROADCAST campaigns only`, { field: 'sendAt' });
    }
    return input.steps.map((step, i) => this.validateStep(step, i, allowed));
  }

  private validateStep(step: CampaignStepInput, i: number, allowed: StepAnchor[]) {
    const where = `steps[${i}]`;
    const name = step.name.trim();
    if (!name) throw badInput('A step needs a name', { field: `${where}.name` });
    if (!allowed.includes(step.anchor)) {
      throw badInput(`This kind of campaign anchors its steps on ${allowed.join(' or ')}`, {
        field: `${where}.anchor`,
      });
    }
    parseSignedDuration(step.offset);
    if (step.localSendTime) parseLocalTime(step.localSendTime, `${where}.localSendTime`);
    const seen = new Set<string>();
    const variants = step.variants.map((v, j) => {
      const locale = canonicalLocale(v.locale);
      if (!locale) {
        throw badInput(`${JSON.stringify(v.locale)} is not a BCP 47 locale`, {
          field: `${where}.variants[${j}].locale`,
        });
      }
      if (seen.has(locale)) {
        throw badInput(`Two variants for ${locale}`, { field: `${where}.variants[${j}].locale` });
      }
      seen.add(locale);
      if (step.channel === Channel.EMAIL && !v.subject?.trim()) {
        throw badInput('An e-mail variant needs a subject', {
          field: `${where}.variants[${j}].subject`,
        });
      }
      return { locale, subject: v.subject ?? null, body: v.body };
    });
    this.renderer.validateVariants(variants, where);
    return {
      name,
      channel: step.channel,
      anchor: step.anchor,
      offset: step.offset,
      localSendTime: step.localSendTime ?? null,
      variants,
    };
  }
}
