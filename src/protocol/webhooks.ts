// Webhooks: the body Parley POSTs to WEBHOOK_URL (docs/PROTOCOL.md §5.16, snake_case like the bus).
import { z } from 'zod';
import { messagePublicSchema } from './rest';

export const WEBHOOK_EVENT_MESSAGE_CREATED = 'message.created';

export const webhookRecipientSchema = z.object({
  user_id: z.string(),
  username: z.string(),
});

/** `message.created`: a message reached recipients who had no connected device and no mute. */
export const messageCreatedWebhookSchema = z.object({
  /** The delivery's id: the same on every retry (and derived from the message, so a redelivered event repeats it). */
  id: z.string().uuid(),
  type: z.literal(WEBHOOK_EVENT_MESSAGE_CREATED),
  /** When the notification was made (its recipients decided). */
  created_at: z.string().datetime(),
  conversation: z.object({
    id: z.string(),
    type: z.enum(['DIRECT', 'GROUP']),
    /** A GROUP's name; a DIRECT's is the sender's username, as its recipient sees it. */
    name: z.string().nullable(),
  }),
  recipients: z.array(webhookRecipientSchema).min(1),
  /** The message as REST returns it. */
  message: messagePublicSchema,
});

export type WebhookRecipient = z.infer<typeof webhookRecipientSchema>;
export type MessageCreatedWebhook = z.infer<typeof messageCreatedWebhookSchema>;
