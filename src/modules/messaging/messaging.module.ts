import { Module } from '@nestjs/common';
import { VisitorsModule } from '../visitors/visitors.module.js';
import { EmailChannel } from './channels/email.channel.js';
import { XDmChannel } from './channels/x-dm.channel.js';
import { MessageReconcileScheduler, SendMessageProcessor } from './jobs/send-message.job.js';
import { MessageContextBuilder } from './message-context.js';
import { MessageOutbox } from './message-outbox.js';
import { MessageReconciler } from './message-reconciler.service.js';
import { MessageSender } from './message-sender.service.js';
import { MessagesService } from './messages.service.js';
import { MessagingVisitorListener } from './messaging.listeners.js';
import { TemplateRenderer } from './rendering/template-renderer.js';
import { UnsubscribeService } from './unsubscribe/unsubscribe.service.js';
import { UnsubscribeController } from './unsubscribe/unsubscribe.controller.js';

/**
 * The outbox and everything that sends: rendering, channels, send-time checks, the reconciler,
 * unsubscribe links. Its GraphQL reads (messages, previewMessage, Visitor.messages) live in
 * CampaignsModule, which sits above it and resolves campaigns and steps.
 */
@Module({
  imports: [VisitorsModule],
  controllers: [UnsubscribeController],
  providers: [
    TemplateRenderer,
    EmailChannel,
    XDmChannel,
    MessageContextBuilder,
    MessageOutbox,
    MessageSender,
    MessageReconciler,
    SendMessageProcessor,
    MessageReconcileScheduler,
    MessagesService,
    MessagingVisitorListener,
    UnsubscribeService,
  ],
  exports: [TemplateRenderer, MessageOutbox, MessageSender, MessageReconciler, MessagesService],
})
export class MessagingModule {}
