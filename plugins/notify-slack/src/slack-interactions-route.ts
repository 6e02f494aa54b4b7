import type { IncomingMessage } from 'node:http';
import { type Actor, type HttpRoute, isLlmteamError } from '@llmteam/core';
import { parseSlackInteraction, type SlackInteraction } from './slack-interaction.js';
import { verifySlackSignature } from './slack-signature.js';

/** Options of {@link slackInteractionsRoute}. */
export interface SlackInteractionsRouteOptions {
  /** The Slack app's signing secret: every callback is verified with it on the raw body. */
  signingSecret: string;
  /**
   * Maps the Slack user who clicked to the actor that answers (matched against
   * `assignee_ref`). The default uses Slack's user id, which the user cannot change (a
   * display name can be edited by anyone, so it never identifies an approver): assign
   * requests to `slack:U0123ABCD`, or map ids to your own subjects here.
   * @default `{ subject: "slack:" + user.id, roles: ["approver"] }`
   */
  resolveActor?: (user: SlackInteraction['user']) => Actor;
  /** Path of the Interactivity Request URL. @default "/slack/interactions" */
  path?: string;
  /** Largest callback body, in bytes. @default 262144 */
  maxBodyBytes?: number;
}

/** Reads a request body up to `limit` bytes; undefined when it is larger. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * `POST /slack/interactions`: Slack's interactivity callback for the Approve / Reject
 * buttons this package posts, as an HTTP route the gateway mounts (`api.registerRoute`).
 * The signature is verified on the raw body before anything is parsed; the answer goes
 * through the engine like any other (assignee checks, closed requests refused).
 */
export function slackInteractionsRoute(options: SlackInteractionsRouteOptions): HttpRoute {
  const { signingSecret } = options;
  const resolveActor =
    options.resolveActor ?? ((user) => ({ subject: `slack:${user.id}`, roles: ['approver'] }));
  const limit = options.maxBodyBytes ?? 256 * 1024;
  return {
    method: 'POST',
    path: options.path ?? '/slack/interactions',
    async handler(req, res, { engine, logger }) {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      const rawBody = await readBody(req, limit);
      if (!rawBody) return json(413, { error: `Slack callback body is larger than ${limit} bytes` });
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      try {
        verifySlackSignature({
          signingSecret,
          timestamp: header('x-slack-request-timestamp'),
          signature: header('x-slack-signature'),
          rawBody,
          now: engine.clock.now(),
        });
      } catch (error) {
        logger.warn({ err: error }, 'Slack callback refused: bad signature');
        return json(401, { error: 'invalid Slack signature' });
      }
      let click: SlackInteraction;
      try {
        click = parseSlackInteraction(rawBody);
      } catch (error) {
        return json(400, { error: isLlmteamError(error) ? error.message : 'unreadable Slack payload' });
      }
      try {
        const interaction = await engine
          .forTenant(click.tenantId, resolveActor(click.user))
          .respond(click.interactionId, {
            action: click.action,
            value: { via: 'slack', slackUserId: click.user.id },
          });
        // Slack shows this text to the clicker (replace_original keeps the thread tidy).
        json(200, {
          response_type: 'ephemeral',
          replace_original: false,
          text: `${click.action === 'approve' ? 'Approved' : 'Rejected'}: ${interaction.title}`,
        });
      } catch (error) {
        const text = isLlmteamError(error) ? error.message : 'The answer could not be recorded.';
        if (!isLlmteamError(error)) logger.error({ err: error }, 'Slack answer failed');
        json(200, { response_type: 'ephemeral', replace_original: false, text });
      }
    },
  };
}
