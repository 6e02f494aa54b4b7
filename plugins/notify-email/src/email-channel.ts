import {
  type ChannelContext,
  checkChannelPriorities,
  createResponseLink,
  DEFAULT_RESPONSE_LINK_TTL_SECONDS,
  type DeliveryResult,
  defineChannel,
  type InteractionPriority,
  type Notification,
  type NotificationChannel,
} from '@llmteam/core';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { emailMessage } from './email-message.js';
import { emailError } from './errors.js';

/** Options of {@link createEmailChannel}. */
export interface EmailChannelOptions {
  /** nodemailer SMTP options: `host`, `port`, `secure`, `auth: { user, pass }`, timeouts, ... */
  transport: SMTPTransport.Options;
  /**
   * Name of the secret holding the SMTP password, instead of `transport.auth.pass` (with
   * `transport.auth.user`). It is read for each notification's tenant, so a rotated password
   * is used from the next mail on, and the engine scrubs it from everything that leaves it.
   * @default undefined
   */
  passwordSecret?: string;
  /** Sender address, e.g. `"llmteam" <approvals@example.com>`. */
  from: string;
  /** Addresses of each group, for assignees that are groups. @default {} */
  groupAddresses?: Record<string, string | string[]>;
  /** Addresses used when no recipient resolves to an address. @default [] */
  defaultTo?: string | string[];
  /**
   * Secret signing the Approve / Reject links when the notification carries no `signLink`
   * (the gateway's own signer, preferred). Without either, mails have no answer links.
   * @default undefined
   */
  linkSecret?: string;
  /** Gateway URL used for links when the notification's links carry none. @default undefined */
  baseUrl?: string;
  /** Lifetime of links signed with `linkSecret`, in seconds. @default 604800 (7 days) */
  linkTtlSeconds?: number;
  /** Put in front of every subject. @default '[llmteam]' */
  subjectPrefix?: string;
  /** Channel name, unique among the gateway's channels. @default 'email' */
  name?: string;
  /** Priorities this channel receives; empty or missing: all. @default undefined (all) */
  priorities?: InteractionPriority[];
  /** Current time in ms (link expiry). @default Date.now */
  now?: () => number;
}

/** One address to mail, and the assignee its links answer as. */
export interface EmailRecipient {
  address: string;
  /** The user or group the token is bound to (what the gateway matches against assignees). */
  recipient: string;
  /**
   * Whether the mail carries answer links. A `defaultTo` fallback mailbox is told, not
   * asked: it is nobody's identity, so its mail has the view link only.
   */
  answer: boolean;
}

const EMAIL = /^[^\s@<>()"',;:]+@[^\s@<>()"',;:]+\.[^\s@<>()"',;:]+$/;

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * Who gets a mail: users that look like email addresses (bound to themselves), then the
 * addresses of assigned groups from `groupAddresses` (bound to the group), and
 * `defaultTo` when neither gives an address. One entry per address: a user reached both
 * directly and through a group gets one mail, with links as the user.
 */
export function resolveEmailRecipients(
  recipients: Notification['recipients'],
  options: Pick<EmailChannelOptions, 'groupAddresses' | 'defaultTo'>,
): EmailRecipient[] {
  const byAddress = new Map<string, EmailRecipient>();
  const add = (address: string, recipient: string, answer: boolean) => {
    const key = address.trim().toLowerCase();
    if (EMAIL.test(key) && !byAddress.has(key))
      byAddress.set(key, { address: address.trim(), recipient, answer });
  };
  for (const user of recipients.users) add(user, user, true);
  for (const group of recipients.groups)
    for (const address of list(options.groupAddresses?.[group])) add(address, group, true);
  if (byAddress.size === 0) for (const address of list(options.defaultTo)) add(address, address, false);
  return [...byAddress.values()];
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A channel that mails each recipient over SMTP (nodemailer), one mail per recipient
 * because each carries that recipient's own signed one-time Approve / Reject links. Mails
 * have an HTML and a text part. Delivery failures of some recipients are reported with the
 * addresses that did get the mail in `to`.
 */
export function createEmailChannel(options: EmailChannelOptions): NotificationChannel {
  const fail = (message: string) => emailError('LLMT_E_EMAIL_OPTIONS', message);
  if (!options || typeof options.transport !== 'object' || options.transport === null) {
    throw fail(
      'Option `transport` is required: nodemailer SMTP options such as { host, port, secure, auth }.',
    );
  }
  if (typeof options.from !== 'string' || options.from.length === 0) {
    throw fail('Option `from` is required: the sender address, e.g. "llmteam <approvals@example.com>".');
  }
  for (const [group, addresses] of Object.entries(options.groupAddresses ?? {})) {
    if (list(addresses).some((a) => typeof a !== 'string' || !EMAIL.test(a.trim().toLowerCase()))) {
      throw fail(`Option \`groupAddresses.${group}\` must be an email address or a list of them.`);
    }
  }
  const ttl = options.linkTtlSeconds ?? DEFAULT_RESPONSE_LINK_TTL_SECONDS;
  if (!Number.isFinite(ttl) || ttl <= 0)
    throw fail('Option `linkTtlSeconds` must be a positive number of seconds.');
  const priorities = checkChannelPriorities(options.priorities, fail);
  const name = options.name ?? 'email';
  const now = options.now ?? Date.now;
  const auth = options.transport.auth as { user?: string; pass?: string } | undefined;
  if (options.passwordSecret !== undefined) {
    if (typeof options.passwordSecret !== 'string' || options.passwordSecret.length === 0)
      throw fail('Option `passwordSecret` must be the name of a secret in the secrets provider.');
    if (auth?.pass !== undefined)
      throw fail(
        'Give `transport.auth.pass` or `passwordSecret`, not both: the channel would not know which to use.',
      );
    if (typeof auth?.user !== 'string' || auth.user.length === 0)
      throw fail('Option `passwordSecret` needs `transport.auth.user`: the SMTP user the password is for.');
  }
  // With `passwordSecret`, one transport per password value: a rotated password gets a new one.
  let transport: { pass?: string; transporter: ReturnType<typeof nodemailer.createTransport> } | undefined =
    options.passwordSecret === undefined
      ? { transporter: nodemailer.createTransport(options.transport) }
      : undefined;
  const transporterFor = async (ctx: ChannelContext) => {
    if (options.passwordSecret === undefined) return (transport as NonNullable<typeof transport>).transporter;
    const pass = await ctx.secret(options.passwordSecret, 'passwordSecret');
    if (transport?.pass !== pass) {
      transport?.transporter.close();
      transport = {
        pass,
        transporter: nodemailer.createTransport({ ...options.transport, auth: { ...auth, pass } }),
      };
    }
    return transport.transporter;
  };

  return defineChannel({
    name,
    ...(priorities ? { priorities } : {}),
    async send(notification: Notification, ctx: ChannelContext): Promise<DeliveryResult> {
      const targets = resolveEmailRecipients(notification.recipients, options);
      if (targets.length === 0) {
        return {
          ok: false,
          attempts: 0,
          error: `email: no address for users ${JSON.stringify(notification.recipients.users)} or groups ${JSON.stringify(
            notification.recipients.groups,
          )}; set groupAddresses or defaultTo`,
        };
      }
      const transporter = await transporterFor(ctx);
      const delivered: string[] = [];
      const messageIds: string[] = [];
      const failures: string[] = [];
      for (const target of targets) {
        if (ctx.signal.aborted) {
          failures.push(`${target.address}: aborted`);
          continue;
        }
        const linkOptions = {
          secret: options.linkSecret,
          baseUrl: options.baseUrl,
          ttlSeconds: ttl,
          now: now(),
        };
        const message = emailMessage(
          notification,
          {
            approve: target.answer
              ? createResponseLink(notification, target.recipient, 'approve', linkOptions)
              : undefined,
            reject: target.answer
              ? createResponseLink(notification, target.recipient, 'reject', linkOptions)
              : undefined,
            view: notification.links.viewUrl,
          },
          options.subjectPrefix,
        );
        const sending = transporter.sendMail({
          from: options.from,
          to: target.address,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: {
            'X-Llmteam-Interaction': notification.interaction.interactionId,
            'X-Llmteam-Tenant': notification.tenantId,
          },
        });
        // nodemailer cannot cancel a send; when the engine gives up we stop waiting, and
        // the socket ends at the transport's own timeouts or when the channel is closed.
        sending.catch(() => {});
        try {
          const info = await Promise.race([sending, aborted(ctx.signal)]);
          delivered.push(target.address);
          if (info.messageId) messageIds.push(info.messageId);
        } catch (error) {
          // An SMTP server's refusal may quote what it was sent.
          failures.push(
            ctx.redact(
              `${target.address}: ${ctx.signal.aborted ? `aborted (${reason(ctx.signal.reason)})` : reason(error)}`,
            ),
          );
        }
      }
      if (failures.length > 0) {
        ctx.logger.warn({ channel: name, failures }, 'email delivery failed for some recipients');
        return {
          ok: false,
          attempts: 1,
          error: `email: ${failures.length} of ${targets.length} failed: ${failures.join('; ')}`,
          to: delivered,
          ...(messageIds.length ? { messageId: messageIds.join(',') } : {}),
        };
      }
      return { ok: true, attempts: 1, to: delivered, messageId: messageIds.join(',') };
    },
    async close() {
      transport?.transporter.close();
    },
  });
}
