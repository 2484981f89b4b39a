import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  AmbassadorEvents,
  type AmbassadorPromotedEvent,
} from '../ambassadors/ambassador.events.js';
import {
  StayEvents,
  type StayCancelledEvent,
  type StayChangedEvent,
} from '../stays/stay.events.js';
import { VisitorEvents, type VisitorChangedEvent } from '../visitors/visitor.events.js';
import { CampaignScheduler } from './campaign-scheduler.service.js';

/**
 * Campaigns follow the data: a booked or moved stay (re)schedules its journey messages, a
 * cancelled one cancels them, a visitor who now matches a segment gets what a member gets, a
 * promotion gets its thank-you. Events are delivered once, after commit, in the emitting
 * process: a listener that fails is logged (the booking stands) and the reconciler and the next
 * activation scan are the safety net.
 */
@Injectable()
export class CampaignsListeners {
  private readonly logger = new Logger(CampaignsListeners.name);

  constructor(private readonly scheduler: CampaignScheduler) {}

  @OnEvent(StayEvents.CHANGED)
  onStayChanged(event: StayChangedEvent) {
    return this.guard('stay changed', () => this.scheduler.onStayChanged(event));
  }

  @OnEvent(StayEvents.CANCELLED)
  onStayCancelled(event: StayCancelledEvent) {
    return this.guard('stay cancelled', () => this.scheduler.onStayCancelled(event));
  }

  @OnEvent(VisitorEvents.CHANGED)
  onVisitorChanged(event: VisitorChangedEvent) {
    return this.guard('visitor changed', () => this.scheduler.onVisitorChanged(event));
  }

  @OnEvent(AmbassadorEvents.PROMOTED)
  onPromoted(event: AmbassadorPromotedEvent) {
    return this.guard('ambassador promoted', () => this.scheduler.onPromoted(event));
  }

  private async guard(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.error(`Scheduling after "${what}" failed: ${String(error)}`);
    }
  }
}
