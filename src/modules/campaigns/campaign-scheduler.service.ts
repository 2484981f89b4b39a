import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../../infra/config/config.js';
import { QueueName } from '../../infra/queue/queue.constants.js';
import { DestinationEntity } from '../destinations/destination.entity.js';
import { MessageStatus } from '../messaging/message.entity.js';
import { completeBroadcastIfDone, MessageOutbox } from '../messaging/message-outbox.js';
import { SuppressionReason } from '../messaging/message-sender.service.js';
import { SegmentEntity } from '../segments/segment.entity.js';
import { SegmentsService } from '../segments/segments.service.js';
import { SEGMENT_FACTS, SqlParams } from '../segments/segment-filter.compiler.js';
import { updateReturning } from '../messaging/update-returning.js';
import { StayStatus } from '../stays/stay.entity.js';
import { CampaignStepEntity, StepAnchor } from './campaign-step.entity.js';
import { CampaignEntity, CampaignKind, CampaignStatus } from './campaign.entity.js';
import {
  computeScheduledAt,
  effectiveSendAt,
  isTooLate,
  parseSignedDuration,
} from './schedule/send-time.js';
import { systemAuth } from './system-auth.js';
import type { AmbassadorPromotedEvent } from '../ambassadors/ambassador.events.js';

export enum CampaignJob {
  /** One chunk of an activation scan; enqueues the next chunk. */
  ACTIVATE_CHUNK = 'campaigns.activate-chunk',
}

export interface ActivateChunkData {
  campaignId: string;
  destinationId: string;
  /** Keyset position: the last visitor id of the previous chunk ('' for the first). */
  afterVisitorId: string;
  /** activatedAt of the activation this chunk belongs to (ms): a new activation, new job ids. */
  epoch: number;
}

/** What a message is about: a visitor, and the occurrence that anchors it. */
export interface Target {
  visitorId: string;
  timeZone: string | null;
  stayId: string | null;
  /** Stay id, ambassador change id, or '' (broadcast). */
  occurrence: string;
  anchors: Partial<Record<StepAnchor, Date>>;
}

interface Row {
  stepId: string;
  visitorId: string;
  stayId: string | null;
  occurrence: string;
  channel: string;
  status: MessageStatus;
  scheduledAt: Date;
  reason: string | null;
}

export const ACTIVATION_CHUNK = 2000;
/** Slack for localSendTime and quiet hours when deciding which past stays may still matter. */
const DAY_MS = 86_400_000;

export const TOO_LATE = SuppressionReason.TOO_LATE;

/**
 * Turns campaigns into messages rows, set-based: targets are read a chunk at a time, their send
 * times computed (send-time.ts: zones, local send time, quiet hours), and one INSERT ... SELECT
 * FROM unnest(...) writes a chunk, unique on (step, visitor, occurrence) so a retried chunk or a
 * repeated event schedules nothing twice. Jobs are enqueued after the INSERT has committed.
 */
@Injectable()
export class CampaignScheduler {
  /** Visitors announced as changed in this turn of the event loop, by destination. */
  private readonly changedVisitors = new Map<string, { ids: Set<string>; done: Promise<void> }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.CAMPAIGNS) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly segments: SegmentsService,
    private readonly outbox: MessageOutbox,
    private readonly clock: Clock,
  ) {}

  // ------------------------------------------------------------- activation

  async startActivation(campaign: CampaignEntity): Promise<void> {
    const epoch = campaign.activatedAt!.getTime();
    await this.queue.add(
      CampaignJob.ACTIVATE_CHUNK,
      {
        campaignId: campaign.id,
        destinationId: campaign.destinationId,
        afterVisitorId: '',
        epoch,
      } satisfies ActivateChunkData,
      { jobId: `campaign-activate-${campaign.id}-${epoch}-start` },
    );
  }

  /** One chunk of the scan; returns how many visitors it read and messages it wrote. */
  async activateChunk(
    data: ActivateChunkData,
  ): Promise<{ visitors: number; messages: number; last?: string }> {
    const campaign = await this.load(data.destinationId, data.campaignId);
    if (
      !campaign ||
      campaign.activatedAt?.getTime() !== data.epoch ||
      ![CampaignStatus.ACTIVE, CampaignStatus.PAUSED].includes(campaign.status)
    ) {
      return { visitors: 0, messages: 0 };
    }
    if (campaign.kind === CampaignKind.AMBASSADOR_PROMOTED) {
      // Promotions are events: there is nothing to scan.
      await this.finishActivation(campaign);
      return { visitors: 0, messages: 0 };
    }
    const auth = systemAuth(campaign.destinationId);
    const filter = await this.filterOf(campaign);
    const compiled = await this.segments.compile(auth, filter);
    const p = new SqlParams(compiled.params);
    const after = data.afterVisitorId
      ? ` AND f.visitor_id > ${p.add(data.afterVisitorId)}::uuid`
      : '';
    const visitors: { id: string; time_zone: string | null }[] = await this.dataSource.query(
      `SELECT v.id, v.time_zone FROM ${SEGMENT_FACTS} JOIN visitors v ON v.id = f.visitor_id
        WHERE ${compiled.where}${after}
        ORDER BY f.visitor_id LIMIT ${p.add(ACTIVATION_CHUNK)}::int`,
      p.values,
    );
    const targets = await this.targetsOf(campaign, visitors);
    const messages = await this.schedule(campaign, targets, 'ignore');
    if (visitors.length === ACTIVATION_CHUNK) {
      const last = visitors[visitors.length - 1].id;
      await this.queue.add(
        CampaignJob.ACTIVATE_CHUNK,
        { ...data, afterVisitorId: last } satisfies ActivateChunkData,
        { jobId: `campaign-activate-${campaign.id}-${data.epoch}-${last}` },
      );
    } else {
      await this.finishActivation(campaign);
    }
    return { visitors: visitors.length, messages, last: visitors.at(-1)?.id };
  }

  private async finishActivation(campaign: CampaignEntity): Promise<void> {
    await this.dataSource.query('UPDATE campaigns SET activation_done_at = $2 WHERE id = $1', [
      campaign.id,
      this.clock.now(),
    ]);
    await completeBroadcastIfDone(this.dataSource, campaign.id);
  }

  // ------------------------------------------------------------------ events

  /** A stay was created or changed: schedule or move its messages in every journey. */
  async onStayChanged(event: {
    destinationId: string;
    stayId: string;
    visitorId: string;
    status: StayStatus;
    previous?: { visitorId: string };
  }): Promise<void> {
    if (event.previous && event.previous.visitorId !== event.visitorId) {
      await this.cancelWhere('stay_id = $1 AND visitor_id <> $2', [event.stayId, event.visitorId]);
    }
    if (event.status !== StayStatus.BOOKED) {
      await this.cancelWhere('stay_id = $1', [event.stayId]);
      return;
    }
    const campaigns = await this.running(event.destinationId, [CampaignKind.STAY_JOURNEY]);
    if (!campaigns.length) return;
    const [stay]: {
      id: string;
      visitor_id: string;
      time_zone: string | null;
      arrival_at: Date;
      departure_at: Date;
    }[] = await this.dataSource.query(
      `SELECT s.id, s.visitor_id, v.time_zone, s.arrival_at, s.departure_at
         FROM stays s JOIN visitors v ON v.id = s.visitor_id
        WHERE s.id = $1 AND s.destination_id = $2 AND s.status = 'BOOKED'`,
      [event.stayId, event.destinationId],
    );
    if (!stay) return;
    for (const campaign of campaigns) {
      if (!(await this.isMember(campaign, stay.visitor_id))) continue;
      await this.schedule(
        campaign,
        [
          {
            visitorId: stay.visitor_id,
            timeZone: stay.time_zone,
            stayId: stay.id,
            occurrence: stay.id,
            anchors: { ARRIVAL: stay.arrival_at, DEPARTURE: stay.departure_at },
          },
        ],
        'reschedule',
      );
    }
  }

  async onStayCancelled(event: { stayId: string }): Promise<void> {
    await this.cancelWhere('stay_id = $1', [event.stayId]);
  }

  /**
   * A visitor changed (new data): schedule what a newcomer in a segment should receive. The
   * events of one turn of the event loop are answered together (an ingested page announces each
   * of its new prospects at once): one probe for running campaigns and one membership query per
   * campaign for all of them, instead of as many as there are visitors.
   */
  onVisitorChanged(event: { destinationId: string; visitorId: string }): Promise<void> {
    let batch = this.changedVisitors.get(event.destinationId);
    if (!batch) {
      const ids = new Set<string>();
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.changedVisitors.delete(event.destinationId);
        return this.onVisitorsChanged(event.destinationId, [...ids]);
      });
      batch = { ids, done };
      this.changedVisitors.set(event.destinationId, batch);
    }
    batch.ids.add(event.visitorId);
    return batch.done;
  }

  /** Visitors of one destination that changed: what each newcomer of a segment should receive. */
  async onVisitorsChanged(destinationId: string, visitorIds: string[]): Promise<void> {
    if (!visitorIds.length) return;
    const campaigns = await this.running(destinationId, [
      CampaignKind.STAY_JOURNEY,
      CampaignKind.BROADCAST,
    ]);
    if (!campaigns.length) return;
    const visitors = await this.liveVisitors(destinationId, visitorIds);
    if (!visitors.length) return;
    for (const campaign of campaigns) {
      const members = new Set(
        await this.memberIds(
          campaign,
          visitors.map((v) => v.id),
        ),
      );
      if (!members.size) continue;
      const newcomers = visitors.filter((v) => members.has(v.id));
      await this.schedule(campaign, await this.targetsOf(campaign, newcomers), 'ignore');
    }
  }

  /**
   * Promotions: one message per step, once per change id however often it is emitted. A set of
   * promotions costs a few statements, not a few per visitor.
   */
  async onPromoted(event: AmbassadorPromotedEvent): Promise<void> {
    if (!event.promotions.length) return;
    const campaigns = await this.running(event.destinationId, [CampaignKind.AMBASSADOR_PROMOTED]);
    if (!campaigns.length) return;
    const visitors = await this.liveVisitors(
      event.destinationId,
      event.promotions.map((p) => p.visitorId),
    );
    const zoneOf = new Map(visitors.map((v) => [v.id, v.time_zone]));
    for (const campaign of campaigns) {
      const members = new Set(await this.memberIds(campaign, [...zoneOf.keys()]));
      const targets = event.promotions
        .filter((p) => members.has(p.visitorId))
        .map((p) => ({
          visitorId: p.visitorId,
          timeZone: zoneOf.get(p.visitorId) ?? null,
          stayId: null,
          occurrence: p.changeId,
          anchors: { PROMOTION: new Date(p.promotedAt) },
        }));
      await this.schedule(campaign, targets, 'ignore');
    }
  }

  // --------------------------------------------------------------- internals

  /** Those of `ids` that are visitors of the destination and not erased, in id order. */
  private liveVisitors(
    destinationId: string,
    ids: string[],
  ): Promise<{ id: string; time_zone: string | null }[]> {
    return this.dataSource.query(
      `SELECT id, time_zone FROM visitors
        WHERE id = ANY($1::uuid[]) AND destination_id = $2 AND erased_at IS NULL
        ORDER BY id`,
      [ids, destinationId],
    );
  }

  /**
   * Writes the messages of `targets` for every step. 'ignore' keeps existing rows; 'reschedule'
   * moves pending ones to their new time (a moved stay). Returns how many rows it wrote.
   */
  async schedule(
    campaign: CampaignEntity,
    targets: Target[],
    mode: 'ignore' | 'reschedule',
  ): Promise<number> {
    if (!targets.length) return 0;
    const destination = await this.destination(campaign.destinationId);
    const rows = this.rows(campaign, targets, destination);
    if (!rows.length) return 0;
    const conflict =
      mode === 'ignore'
        ? 'DO NOTHING'
        : `DO UPDATE SET scheduled_at = EXCLUDED.scheduled_at, status = EXCLUDED.status,
             suppression_reason = EXCLUDED.suppression_reason, updated_at = now()
           WHERE messages.status IN ('SCHEDULED', 'QUEUED')
             AND messages.scheduled_at IS DISTINCT FROM EXCLUDED.scheduled_at`;
    const written: { id: string; status: MessageStatus; scheduled_at: Date }[] =
      await this.dataSource.query(
        `INSERT INTO messages (destination_id, campaign_id, step_id, visitor_id, stay_id, occurrence,
                               channel, status, scheduled_at, suppression_reason)
         SELECT $1, $2, t.* FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::text[],
                                        $7::channel[], $8::message_status[], $9::timestamptz[],
                                        $10::text[]) AS t
         ON CONFLICT (step_id, visitor_id, occurrence) ${conflict}
         RETURNING id, status, scheduled_at`,
        [
          campaign.destinationId,
          campaign.id,
          rows.map((r) => r.stepId),
          rows.map((r) => r.visitorId),
          rows.map((r) => r.stayId),
          rows.map((r) => r.occurrence),
          rows.map((r) => r.channel),
          rows.map((r) => r.status),
          rows.map((r) => r.scheduledAt.toISOString()),
          rows.map((r) => r.reason),
        ],
      );
    const due = written
      .filter((m) => m.status === MessageStatus.SCHEDULED)
      .map((m) => ({ id: m.id, scheduledAt: new Date(m.scheduled_at) }));
    // A paused campaign's messages are written but held: resuming enqueues them.
    if (campaign.status === CampaignStatus.ACTIVE) {
      if (mode === 'ignore') await this.outbox.enqueue(due);
      else await this.outbox.reschedule(due);
    }
    if (mode === 'reschedule') {
      await this.outbox.remove(
        written.filter((m) => m.status !== MessageStatus.SCHEDULED).map((m) => m.id),
      );
    }
    return written.length;
  }

  private rows(campaign: CampaignEntity, targets: Target[], destination: DestinationEntity) {
    const now = this.clock.now();
    const quietHours =
      destination.quietStart && destination.quietEnd
        ? { start: destination.quietStart, end: destination.quietEnd }
        : null;
    const rows: Row[] = [];
    for (const step of campaign.steps ?? []) {
      for (const target of targets) {
        const anchorAt = target.anchors[step.anchor];
        if (!anchorAt) continue;
        const at = computeScheduledAt({
          anchorAt,
          offset: step.offset,
          localSendTime: step.localSendTime,
          timeZone: target.timeZone ?? destination.timeZone,
          quietHours,
        });
        const late = isTooLate(at, now, this.config.lateGraceMs);
        rows.push({
          stepId: step.id,
          visitorId: target.visitorId,
          stayId: target.stayId,
          occurrence: target.occurrence,
          channel: step.channel,
          status: late ? MessageStatus.SUPPRESSED : MessageStatus.SCHEDULED,
          scheduledAt: late ? at : effectiveSendAt(at, now),
          reason: late ? TOO_LATE : null,
        });
      }
    }
    return rows;
  }

  /** The targets of visitors for a journey (their BOOKED stays that may still matter) or a broadcast. */
  private async targetsOf(
    campaign: CampaignEntity,
    visitors: { id: string; time_zone: string | null }[],
  ): Promise<Target[]> {
    if (!visitors.length) return [];
    if (campaign.kind === CampaignKind.BROADCAST) {
      return visitors.map((v) => ({
        visitorId: v.id,
        timeZone: v.time_zone,
        stayId: null,
        occurrence: '',
        anchors: { SEND_AT: campaign.sendAt! },
      }));
    }
    if (campaign.kind !== CampaignKind.STAY_JOURNEY) return [];
    const zones = new Map(visitors.map((v) => [v.id, v.time_zone]));
    const stays: { id: string; visitor_id: string; arrival_at: Date; departure_at: Date }[] =
      await this.dataSource.query(
        `SELECT s.id, s.visitor_id, s.arrival_at, s.departure_at FROM stays s
          WHERE s.visitor_id = ANY($1::uuid[]) AND s.status = 'BOOKED' AND s.departure_at >= $2`,
        [[...zones.keys()], this.horizon(campaign)],
      );
    return stays.map((s) => ({
      visitorId: s.visitor_id,
      timeZone: zones.get(s.visitor_id) ?? null,
      stayId: s.id,
      occurrence: s.id,
      anchors: { ARRIVAL: s.arrival_at, DEPARTURE: s.departure_at },
    }));
  }

  /** Stays that departed before this cannot have a step left within the grace: skipped. */
  private horizon(campaign: CampaignEntity): Date {
    const maxOffset = Math.max(
      0,
      ...(campaign.steps ?? []).map((s) => parseSignedDuration(s.offset).as('milliseconds')),
    );
    return new Date(this.clock.now().getTime() - this.config.lateGraceMs - maxOffset - 2 * DAY_MS);
  }

  private async cancelWhere(where: string, params: unknown[]): Promise<void> {
    const rows = await updateReturning<{ id: string }>(
      this.dataSource,
      `UPDATE messages SET status = 'CANCELLED', updated_at = now()
        WHERE ${where} AND status IN ('SCHEDULED', 'QUEUED') RETURNING id`,
      params,
    );
    await this.outbox.remove(rows.map((r) => r.id));
  }

  private async running(destinationId: string, kinds: CampaignKind[]) {
    // Most events find no running campaign (each new prospect of an ingested page asks): one
    // indexed probe first; the campaigns and their steps are loaded only when there are some.
    const probe: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM campaigns
        WHERE destination_id = $1 AND status::text IN ('ACTIVE', 'PAUSED') AND kind::text = ANY($2)
        LIMIT 1`,
      [destinationId, kinds],
    );
    if (!probe.length) return [];
    return this.dataSource.getRepository(CampaignEntity).find({
      where: {
        destinationId,
        kind: In(kinds),
        status: In([CampaignStatus.ACTIVE, CampaignStatus.PAUSED]),
      },
      relations: { steps: true },
      order: { createdAt: 'ASC', steps: { position: 'ASC' } },
    });
  }

  private load(destinationId: string, id: string) {
    return this.dataSource.getRepository(CampaignEntity).findOne({
      where: { id, destinationId },
      relations: { steps: true },
      order: { steps: { position: 'ASC' } },
    });
  }

  private async filterOf(campaign: CampaignEntity) {
    if (!campaign.segmentId) return null;
    const segment = await this.dataSource
      .getRepository(SegmentEntity)
      .findOneBy({ id: campaign.segmentId, destinationId: campaign.destinationId });
    // A deleted segment (segment_id set null) would have been caught above; an empty filter
    // here would message everyone, so a missing segment selects no one.
    return segment ? segment.filter : { tagsAny: ['\u0000no-segment'] };
  }

  private async isMember(campaign: CampaignEntity, visitorId: string): Promise<boolean> {
    return (await this.memberIds(campaign, [visitorId])).length > 0;
  }

  private async memberIds(campaign: CampaignEntity, visitorIds: string[]): Promise<string[]> {
    const filter = await this.filterOf(campaign);
    return this.segments.memberIds(systemAuth(campaign.destinationId), filter, visitorIds);
  }

  private async destination(id: string): Promise<DestinationEntity> {
    return this.dataSource.getRepository(DestinationEntity).findOneByOrFail({ id });
  }

  /** For tests and the benchmark: the steps of a campaign, in order. */
  steps(campaignId: string) {
    return this.dataSource
      .getRepository(CampaignStepEntity)
      .find({ where: { campaignId }, order: { position: 'ASC' } });
  }
}
