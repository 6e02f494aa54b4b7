import {
  CLOSED_INTERACTION_STATUSES,
  type Engine,
  type InteractionRecord,
  isLlmteamError,
  type Logger,
  verifyResponseToken,
} from '@llmteam/core';
import express, { type Express, type Response } from 'express';
import { escapeHtml, page } from './html.js';

/** Options of {@link mountRespondLinks}. */
export interface RespondLinksOptions {
  engine: Engine;
  /** The secret the engine signs links with. */
  secret: string;
  logger: Logger;
  bodyLimit: string | number;
}

function nonceUsed(interaction: InteractionRecord, nonce: string): boolean {
  return (interaction.responses ?? []).some(
    (r) => (r.value as { linkNonce?: unknown } | undefined)?.linkNonce === nonce,
  );
}

function send(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .type('html')
    .send(page(title, body));
}

/**
 * Signed one-time answer links sent by notification channels (e.g. email):
 * `GET /respond/:token` shows a confirmation page (mail scanners that follow links answer
 * nothing), `POST /respond/:token` records the answer as the link's recipient. A token is
 * used once: its nonce is recorded in the answer, and a token whose nonce is already
 * recorded, or whose request is closed, is refused.
 */
export function mountRespondLinks(app: Express, options: RespondLinksOptions): void {
  const { engine, secret, logger } = options;
  const load = async (token: string) => {
    const payload = verifyResponseToken(token, secret, { now: engine.clock.now() });
    const interaction = await engine.forTenant(payload.tenantId).getInteraction(payload.interactionId);
    return { payload, interaction };
  };
  const refuse = (res: Response, error: unknown) => {
    const message = isLlmteamError(error) ? error.message : 'This link cannot be used.';
    if (!isLlmteamError(error)) logger.error({ err: error }, 'answer link failed');
    send(
      res,
      isLlmteamError(error) && error.code === 'LLMT_E_INTERACTION_CLOSED' ? 409 : 400,
      'Link not usable',
      `<h1>Link not usable</h1><p>${escapeHtml(message)}</p>`,
    );
  };

  /** A link answers once, and only a request that is still open. */
  const answerable = (
    interaction: InteractionRecord | undefined,
    nonce: string,
  ): interaction is InteractionRecord =>
    interaction !== undefined &&
    !CLOSED_INTERACTION_STATUSES.has(interaction.status) &&
    !nonceUsed(interaction, nonce);
  const alreadyAnswered = (res: Response, outcome: string) =>
    send(
      res,
      409,
      'Already answered',
      `<h1>Already answered</h1><p>This request was already answered or closed; ${outcome}.</p>`,
    );

  app.get('/respond/:token', async (req, res) => {
    try {
      const { payload, interaction } = await load(req.params.token);
      if (!answerable(interaction, payload.nonce)) {
        alreadyAnswered(res, 'nothing was changed');
        return;
      }
      const verb = payload.action === 'approve' ? 'Approve' : 'Reject';
      send(
        res,
        200,
        `${verb}: ${interaction.title}`,
        `<h1>${escapeHtml(interaction.title)}</h1>${interaction.description ? `<p>${escapeHtml(interaction.description)}</p>` : ''}
<p>You are answering as <strong>${escapeHtml(payload.recipient)}</strong>.</p>
<form method="post"><label>Comment (optional)<br><textarea name="comment"></textarea></label><p>
<button class="${payload.action}" type="submit">${verb}</button></p></form>`,
      );
    } catch (error) {
      refuse(res, error);
    }
  });

  app.post(
    '/respond/:token',
    express.urlencoded({ extended: false, limit: options.bodyLimit }),
    async (req, res) => {
      try {
        const { payload, interaction } = await load(req.params.token);
        if (!answerable(interaction, payload.nonce)) {
          alreadyAnswered(res, 'your answer was not applied');
          return;
        }
        const comment =
          typeof req.body?.comment === 'string' && req.body.comment.trim()
            ? req.body.comment.trim().slice(0, 4000)
            : undefined;
        await engine.respond(payload.interactionId, {
          tenantId: payload.tenantId,
          actor: { subject: payload.recipient, groups: [payload.recipient], roles: ['approver'] },
          action: payload.action,
          value: { linkNonce: payload.nonce, via: 'link' },
          ...(comment ? { comment } : {}),
        });
        const done = payload.action === 'approve' ? 'Approved' : 'Rejected';
        send(
          res,
          200,
          done,
          `<h1>${done}</h1><p>Thank you, your answer to “${escapeHtml(interaction.title)}” was recorded.</p>`,
        );
      } catch (error) {
        refuse(res, error);
      }
    },
  );
}
