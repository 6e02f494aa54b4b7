import { randomBytes } from 'node:crypto';
import type { InteractionHost } from '../engine/interaction-port.js';
import { LlmteamError } from '../errors.js';
import { signResponseToken } from '../notify/response-token.js';
import type { NotificationChannel, NotificationReason } from '../notify/types.js';
import { redactSealed } from '../sealing/sealed-value.js';
import { missingSecretError } from '../secrets/missing-secret.js';
import { providersOf } from '../secrets/secrets-chain.js';
import type { InteractionRecord } from '../store/types.js';
import type { NotificationResultData } from '../worktrail/event-types.js';

/** How long a channel may take before its delivery counts as failed. */
const CHANNEL_TIMEOUT_MS = 15_000;
/** Lifetime of a signed answer link when the request has no deadline: 7 days. */
const LINK_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Routes interactions to notification channels. Each channel's result lands in its own
 * `interaction.notified` event, committed to the interaction's run.
 */
export class Notifier {
  constructor(private readonly host: InteractionHost) {}

  /**
   * Tells every channel that takes this priority, all at once, without waiting for any of
   * them: a failing or slow channel never blocks the run or the other channels. Each
   * channel's result lands in its own `interaction.notified` event as soon as it is known.
   */
  notify(tenantId: string, interaction: InteractionRecord, reason: NotificationReason): Promise<void> {
    const channels = this.host.channels.filter(
      (c) => !c.priorities?.length || c.priorities.includes(interaction.priority),
    );
    return Promise.all(
      channels.map((channel) =>
        this.deliver(channel, tenantId, interaction, reason).then((result) =>
          this.record(tenantId, interaction, reason, result),
        ),
      ),
    ).then(() => undefined);
  }

  private async deliver(
    channel: NotificationChannel,
    tenantId: string,
    interaction: InteractionRecord,
    reason: NotificationReason,
  ): Promise<NotificationResultData> {
    const { timerIds: _timers, ...visibleSettings } = interaction.settings;
    // Sealed values travel as ciphertext; a channel shows only that something is sealed.
    const { redactor, secrets } = this.host;
    const scrub = <T>(v: T): T => redactor.scrubDeep(v);
    const visible: InteractionRecord = scrub({ ...interaction, settings: redactSealed(visibleSettings) });
    const base = this.host.publicUrl?.replace(/\/$/, '');
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new LlmteamError(
          'LLMT_E_CHANNEL',
          `channel "${channel.name}" did not answer within ${CHANNEL_TIMEOUT_MS} ms`,
        );
        controller.abort(error);
        reject(error);
      }, CHANNEL_TIMEOUT_MS);
      timer.unref?.();
    });
    try {
      const result = await Promise.race([
        channel.send(
          {
            tenantId,
            reason,
            interaction: visible,
            recipients: interaction.assignees,
            links: {
              baseUrl: base,
              respondUrl: base ? `${base}/respond` : undefined,
              viewUrl: base ? `${base}/runs/${interaction.runId}` : undefined,
            },
            signLink: this.signLink(tenantId, interaction),
          },
          {
            logger: this.host.logger.child({ channel: channel.name }),
            signal: controller.signal,
            redact: (text) => redactor.scrub(text),
            secret: async (name, field) => {
              const value = await secrets.get(name, { tenantId });
              if (value === undefined)
                throw missingSecretError(name, providersOf(secrets), { channel: channel.name, field });
              return value;
            },
          },
        ),
        timedOut,
      ]);
      return {
        channel: channel.name,
        ok: result.ok,
        message_id: result.messageId,
        attempts: result.attempts ?? 1,
        error: result.error === undefined ? undefined : scrub(result.error),
        to: result.to,
      };
    } catch (error) {
      return { channel: channel.name, ok: false, error: scrub((error as Error)?.message ?? String(error)) };
    } finally {
      clearTimeout(timer);
    }
  }

  private async record(
    tenantId: string,
    interaction: InteractionRecord,
    reason: NotificationReason,
    result: NotificationResultData,
  ): Promise<void> {
    try {
      await this.host.withStep(tenantId, interaction.runId, interaction.stepId, async (commit) => {
        const current = await commit.interaction(interaction.interactionId);
        if (current?.status === 'pending' && result.ok) {
          commit.putInteraction({ ...current, status: 'notified', updatedAt: this.host.nowIso() });
        }
        commit.emit('interaction.notified', {
          interaction_id: interaction.interactionId,
          reason,
          ...result,
        });
      });
    } catch (error) {
      this.host.logger.warn(
        { err: error, interactionId: interaction.interactionId },
        'could not record a notification result',
      );
    }
  }

  /** Signs one-time answer tokens with the engine's link secret, valid until the deadline (or 7 days). */
  private signLink(
    tenantId: string,
    interaction: InteractionRecord,
  ): (recipient: string, action: 'approve' | 'reject') => string {
    return (recipient, action) =>
      signResponseToken(
        {
          tenantId,
          interactionId: interaction.interactionId,
          recipient,
          action,
          expiresAt: interaction.deadline ?? new Date(this.host.clock.now() + LINK_TTL_MS).toISOString(),
          nonce: randomBytes(16).toString('base64url'),
        },
        this.host.linkSecret,
      );
  }
}
