import type { Actor, Engine, Logger } from '@llmteam/core';
import { isLlmteamError } from '@llmteam/core';
import { parseSlackInteraction, type SlackInteraction, verifySlackSignature } from '@llmteam/notify-slack';
import express, { type Express } from 'express';

/** Options of {@link mountSlackInteractions}. */
export interface SlackInteractionsOptions {
  engine: Engine;
  /** Slack app signing secret; without it the endpoint answers 404. */
  signingSecret?: string;
  logger: Logger;
  /**
   * Maps the Slack user who clicked to the actor that answers (matched against
   * `assignee_ref`). The default uses Slack's user id, which the user cannot change (a
   * display name can be edited by anyone, so it never identifies an approver): assign
   * requests to `slack:U0123ABCD`, or map ids to your own subjects here.
   * @default `{ subject: "slack:" + user.id, roles: ["approver"] }`
   */
  resolveActor?: (user: SlackInteraction['user']) => Actor;
}

/**
 * `POST /slack/interactions`: Slack's interactivity callback for the Approve / Reject
 * buttons `@llmteam/notify-slack` posts. The signature is verified on the raw body before
 * anything is parsed; the answer goes through the engine like any other (assignee checks,
 * closed requests refused).
 */
export function mountSlackInteractions(app: Express, options: SlackInteractionsOptions): void {
  const { signingSecret, logger, engine } = options;
  const resolveActor =
    options.resolveActor ?? ((user) => ({ subject: `slack:${user.id}`, roles: ['approver'] }));
  app.post('/slack/interactions', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
    if (!signingSecret) {
      res.status(404).json({ error: 'Slack interactivity is not configured on this gateway' });
      return;
    }
    const rawBody: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      verifySlackSignature({
        signingSecret,
        timestamp: req.header('x-slack-request-timestamp'),
        signature: req.header('x-slack-signature'),
        rawBody,
        now: engine.clock.now(),
      });
    } catch (error) {
      logger.warn({ err: error }, 'Slack callback refused: bad signature');
      res.status(401).json({ error: 'invalid Slack signature' });
      return;
    }
    let click: SlackInteraction;
    try {
      click = parseSlackInteraction(rawBody);
    } catch (error) {
      res.status(400).json({ error: isLlmteamError(error) ? error.message : 'unreadable Slack payload' });
      return;
    }
    try {
      const interaction = await engine.respond(click.interactionId, {
        tenantId: click.tenantId,
        actor: resolveActor(click.user),
        action: click.action,
        value: { via: 'slack', slackUserId: click.user.id },
      });
      // Slack shows this text to the clicker (replace_original keeps the thread tidy).
      res.json({
        response_type: 'ephemeral',
        replace_original: false,
        text: `${click.action === 'approve' ? 'Approved' : 'Rejected'}: ${interaction.title}`,
      });
    } catch (error) {
      const text = isLlmteamError(error) ? error.message : 'The answer could not be recorded.';
      if (!isLlmteamError(error)) logger.error({ err: error }, 'Slack answer failed');
      res.json({ response_type: 'ephemeral', replace_original: false, text });
    }
  });
}
