import {
  type ChannelContext,
  type DeliveryResult,
  type InteractionRecord,
  type Logger,
  type Notification,
  type NotificationChannel,
  silentLogger,
} from '@llmteam/core';
import { testChannelContext } from './channel-context.js';

/**
 * The endpoint a channel under test should talk to:
 * - `working`: a local server that accepts the message and records it;
 * - `failing`: one that refuses every attempt (e.g. HTTP 500, SMTP 550) or a closed port;
 * - `silent`: one that accepts connections and never answers (see `startSilentServer`).
 */
export type ChannelEndpoint = 'working' | 'failing' | 'silent';

/** A channel wired to a local endpoint, made by the plugin's `create`. */
export interface ChannelUnderTest {
  channel: NotificationChannel;
  /**
   * Everything that reached the endpoint so far, one string per message, as it went over
   * the wire (an HTTP body, or a mail's subject, text and HTML).
   */
  received(): Promise<string[]>;
  /**
   * Strings that must never appear in what is sent: signing secrets, bot tokens, SMTP
   * passwords, link secrets.
   * @default []
   */
  secrets?: string[];
  /** Stops servers and closes the channel. */
  destroy(): Promise<void>;
}

/** The subset of a test runner's `test` the suite uses (vitest, jest and node:test style). */
export type SuiteTest = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/** The subset of a runner's `expect` matchers the suite uses (vitest and jest style). */
export interface SuiteMatchers {
  toBe(expected: unknown): void;
  toContain(expected: unknown): void;
  toBeLessThan(expected: number): void;
  toBeGreaterThan(expected: number): void;
  not: SuiteMatchers;
}

/** A runner's `expect`. */
export type SuiteExpect = (actual: unknown, message?: string) => SuiteMatchers;

/** Options of {@link channelConformanceSuite}. */
export interface ChannelConformanceOptions {
  /** Shown in every test name, e.g. `@llmteam/notify-slack`. */
  name: string;
  /** Makes a fresh channel and endpoint for one test. */
  create(endpoint: ChannelEndpoint): Promise<ChannelUnderTest>;
  /** The runner's `test` (e.g. vitest's). */
  test: SuiteTest;
  /** The runner's `expect`. */
  expect: SuiteExpect;
  /** How long the suite lets a silent endpoint hang before aborting `ctx.signal`, in ms. @default 300 */
  abortAfterMs?: number;
  /** Longest a send may take after the abort before the suite calls it hung, in ms. @default 3000 */
  abortGraceMs?: number;
  /** How long the suite waits for a sent message to show up in `received()`, in ms. @default 5000 */
  receiveTimeoutMs?: number;
}

const PRIORITIES = ['low', 'normal', 'high', 'critical'];

/**
 * A notification the way the engine hands one to a channel: no sealed fields, a user
 * that looks like an email, a group, links and a link signer. The title carries a marker
 * the suite looks for in what arrives.
 */
export function sampleNotification(overrides: Partial<Notification> = {}): Notification {
  const at = '2026-01-01T00:00:00.000Z';
  const interaction: InteractionRecord = {
    interactionId: 'int_conformance_1',
    tenantId: 'tenant-conformance',
    runId: 'run_1',
    stepId: 'approve_order',
    type: 'approval',
    status: 'pending',
    priority: 'high',
    title: 'Approve order ORD-4711 conformance-marker',
    description: 'Order total is 1,250.00 EUR.',
    assignees: { users: ['alice@example.com'], groups: ['finance'] },
    escalationLevel: 0,
    revision: 0,
    responses: [],
    deadline: '2026-01-02T00:00:00.000Z',
    settings: {},
    createdAt: at,
    updatedAt: at,
  };
  return {
    tenantId: interaction.tenantId,
    reason: 'requested',
    interaction,
    recipients: { users: ['alice@example.com'], groups: ['finance'] },
    links: {
      baseUrl: 'https://gateway.example.com',
      respondUrl: 'https://gateway.example.com/respond',
      viewUrl: 'https://gateway.example.com/interactions/int_conformance_1',
    },
    signLink: (recipient, action) => `signed-${Buffer.from(`${recipient}:${action}`).toString('base64url')}`,
    ...overrides,
  };
}

function context(signal: AbortSignal, logger: Logger = silentLogger): ChannelContext {
  return testChannelContext({ signal, logger });
}

async function waitForReceived(under: ChannelUnderTest, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const received = await under.received();
    if (received.length > 0 || Date.now() >= deadline) return received;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function withChannel(
  options: ChannelConformanceOptions,
  endpoint: ChannelEndpoint,
  fn: (under: ChannelUnderTest) => Promise<void>,
): Promise<void> {
  const under = await options.create(endpoint);
  try {
    await fn(under);
  } finally {
    await under.destroy();
  }
}

/** Runs `send` and turns a throw into a value, so the suite can assert it did not throw. */
async function settle(
  promise: Promise<DeliveryResult>,
): Promise<{ result?: DeliveryResult; thrown?: unknown; ms: number }> {
  const started = Date.now();
  try {
    return { result: await promise, ms: Date.now() - started };
  } catch (thrown) {
    return { thrown, ms: Date.now() - started };
  }
}

/**
 * The conformance suite every notification channel runs, ours and third parties' alike.
 * It takes the runner's `test` and `expect`, so it runs under the plugin's own test runner:
 *
 * ```ts
 * import { expect, test } from 'vitest';
 * import { channelConformanceSuite, startWebhookReceiver } from '@llmteam/testkit';
 *
 * channelConformanceSuite({
 *   name: '@acme/notify-pager', test, expect,
 *   async create(endpoint) {
 *     const receiver = await startWebhookReceiver();
 *     if (endpoint === 'failing') receiver.failNext(Infinity, 500);
 *     const channel = createPagerChannel({ url: receiver.url });
 *     return { channel, received: async () => receiver.requests.map((r) => r.rawBody),
 *              destroy: () => receiver.close() };
 *   },
 * });
 * ```
 *
 * It checks that a send to a working endpoint resolves `{ ok: true }` and the message
 * (with the request's title) arrives; that no secret of the channel leaks into the
 * message; that a failing endpoint resolves `{ ok: false, error }` instead of throwing;
 * that a silent endpoint does not hang the send once `ctx.signal` aborts; and that the
 * channel declares a valid name and `priorities`.
 */
export function channelConformanceSuite(options: ChannelConformanceOptions): void {
  const { test, expect, name } = options;
  const abortAfterMs = options.abortAfterMs ?? 300;
  const abortGraceMs = options.abortGraceMs ?? 3000;
  const receiveTimeoutMs = options.receiveTimeoutMs ?? 5000;
  const notification = sampleNotification();

  test(`${name}: declares a name and a valid priorities filter`, async () => {
    await withChannel(options, 'working', async ({ channel }) => {
      expect(typeof channel.name).toBe('string');
      expect(channel.name.length).toBeGreaterThan(0);
      expect(typeof channel.send).toBe('function');
      if (channel.priorities !== undefined) {
        expect(Array.isArray(channel.priorities)).toBe(true);
        for (const priority of channel.priorities) expect(PRIORITIES).toContain(priority);
        expect(new Set(channel.priorities).size).toBe(channel.priorities.length);
      }
    });
  });

  test(`${name}: send resolves { ok: true } and the message arrives with the title`, async () => {
    await withChannel(options, 'working', async (under) => {
      const { result, thrown } = await settle(
        under.channel.send(notification, context(new AbortController().signal)),
      );
      expect(thrown, `send threw: ${String(thrown)}`).toBe(undefined);
      expect(result?.ok, `send failed: ${result?.error}`).toBe(true);
      const received = await waitForReceived(under, receiveTimeoutMs);
      expect(received.length).toBeGreaterThan(0);
      expect(received.join('\n')).toContain('conformance-marker');
    });
  });

  test(`${name}: the message carries none of the channel's secrets`, async () => {
    await withChannel(options, 'working', async (under) => {
      const { result } = await settle(
        under.channel.send(notification, context(new AbortController().signal)),
      );
      expect(result?.ok).toBe(true);
      const received = (await waitForReceived(under, receiveTimeoutMs)).join('\n');
      for (const secret of under.secrets ?? []) {
        if (secret.length > 0) expect(received, 'a channel secret was sent').not.toContain(secret);
      }
    });
  });

  test(`${name}: a failing endpoint resolves { ok: false, error } instead of throwing`, async () => {
    await withChannel(options, 'failing', async (under) => {
      const { result, thrown } = await settle(
        under.channel.send(notification, context(new AbortController().signal)),
      );
      expect(thrown, `send threw: ${String(thrown)}`).toBe(undefined);
      expect(result?.ok).toBe(false);
      expect(typeof result?.error).toBe('string');
      expect((result?.error ?? '').length).toBeGreaterThan(0);
    });
  });

  test(`${name}: a silent endpoint does not hang the send once ctx.signal aborts`, async () => {
    await withChannel(options, 'silent', async (under) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error('conformance: aborted')), abortAfterMs);
      try {
        const { result, thrown, ms } = await settle(
          Promise.race([
            under.channel.send(notification, context(controller.signal)),
            new Promise<DeliveryResult>((_, reject) =>
              setTimeout(
                () => reject(new Error('send hung after ctx.signal aborted')),
                abortAfterMs + abortGraceMs,
              ),
            ),
          ]),
        );
        expect(thrown, `send threw or hung: ${String(thrown)}`).toBe(undefined);
        expect(result?.ok).toBe(false);
        expect(ms).toBeLessThan(abortAfterMs + abortGraceMs);
      } finally {
        clearTimeout(timer);
      }
    });
  });
}
