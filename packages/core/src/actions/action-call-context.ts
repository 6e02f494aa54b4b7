import { isSpanContextValid, type Span, SpanStatusCode } from '@opentelemetry/api';
import type { Logger, SecretsProvider } from '../catalog/types.js';
import { missingSecretError } from '../secrets/missing-secret.js';
import { providersOf } from '../secrets/secrets-chain.js';
import { formatTraceparent } from '../telemetry/trace-context.js';
import type { Clock } from '../util/clock.js';
import type { ActionEntry } from './action-config-check.js';
import type { ActionCallContext, ActionResult, ActionTypeContext } from './types.js';

/** What every call's context draws on: the registry's secrets, redaction, logger and clock. */
export interface ActionEnv {
  secrets: SecretsProvider;
  logger: Logger;
  clock: Clock;
  redact: (text: string) => string;
}

/**
 * The context an action type's handler gets for one call: ids, the idempotency key, the
 * trace context of the call's span, and secrets resolved for the call's tenant (a missing
 * one fails with `LLMT_E_SECRET_NOT_FOUND`, naming the action, the field and the secret).
 */
export function actionTypeContext(
  env: ActionEnv,
  entry: ActionEntry,
  call: ActionCallContext,
  correlationId: string,
  signal: AbortSignal,
  span: Span,
): ActionTypeContext {
  const secrets = env.secrets;
  const name = entry.name;
  const sc = span.spanContext();
  const traced = isSpanContextValid(sc);
  return {
    ...(traced ? { traceparent: formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags) } : {}),
    ...(traced && sc.traceState ? { tracestate: sc.traceState.serialize() } : {}),
    action: name,
    config: entry.config,
    tenantId: call.tenantId,
    runId: call.runId,
    stepId: call.stepId,
    idempotencyKey: call.idempotencyKey,
    correlationId,
    attempt: call.attempt ?? 1,
    signal,
    logger: env.logger,
    clock: env.clock,
    redact: env.redact,
    fn: entry.fn,
    secrets: {
      async get(secret, field = 'auth_config') {
        const value = await secrets.get(secret, { tenantId: call.tenantId });
        if (value === undefined)
          throw missingSecretError(secret, providersOf(secrets), { action: name, field });
        return value;
      },
    },
  };
}

/** Ends an action call's span with what the call came to. */
export function endActionSpan(span: Span, result: ActionResult, end: number): void {
  if (span.isRecording()) {
    span.setAttribute('llmteam.action.status', result.status);
    if (result.response_code !== undefined)
      span.setAttribute('llmteam.action.response_code', String(result.response_code));
    if (typeof result.response_code === 'number' && (result.type === 'webhook' || result.type === 'rest_api'))
      span.setAttribute('http.response.status_code', result.response_code);
    if (result.status !== 'completed') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: result.error_message });
      if (result.error_type) span.setAttribute('error.type', result.error_type);
    }
  }
  span.end(end);
}
