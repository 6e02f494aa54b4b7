import { type ChannelContext, LlmteamError, type Logger, SecretRedactor, silentLogger } from '@llmteam/core';

/** Options of {@link testChannelContext}. */
export interface TestChannelContextOptions {
  /** @default a signal that is never aborted */
  signal?: AbortSignal;
  /** @default silentLogger */
  logger?: Logger;
  /** The secrets `ctx.secret` resolves, by name. @default {} */
  secrets?: Record<string, string>;
  /** Where resolved secrets are registered, so `ctx.redact` scrubs them. @default a new one */
  redactor?: SecretRedactor;
}

/**
 * A {@link ChannelContext} for calling a channel's `send` outside an engine, as the engine
 * builds it: `secret` resolves from `secrets` and registers each value it returns with the
 * redactor, `redact` scrubs every value registered so far, and an unknown name rejects with
 * `LLMT_E_SECRET_NOT_FOUND`.
 *
 * ```ts
 * const result = await channel.send(notification, testChannelContext({ secrets: { slack_token: 'xoxb-1' } }));
 * ```
 */
export function testChannelContext(options: TestChannelContextOptions = {}): ChannelContext {
  const redactor = options.redactor ?? new SecretRedactor();
  const secrets = options.secrets ?? {};
  return {
    logger: options.logger ?? silentLogger,
    signal: options.signal ?? new AbortController().signal,
    redact: (text) => redactor.scrub(text),
    async secret(name, field) {
      const value = Object.hasOwn(secrets, name) ? secrets[name] : undefined;
      if (value === undefined)
        throw new LlmteamError(
          'LLMT_E_SECRET_NOT_FOUND',
          `option ${field} names secret "${name}", which the test context does not have`,
          { retryable: false, details: { secret: name, field } },
        );
      redactor.add(value);
      return value;
    },
  };
}
