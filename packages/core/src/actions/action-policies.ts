import {
  BrokenCircuitError,
  BulkheadPolicy,
  BulkheadRejectedError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  bulkhead as makeBulkhead,
} from 'cockatiel';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { isLlmteamError, LlmteamError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import type { ActionConfig } from './types.js';

/** The part of a `rate-limiter-flexible` limiter the executor uses. */
export interface ActionRateLimiter {
  consume(key: string, points?: number): Promise<unknown>;
}

/** Token-bucket shape handed to a backend: `points` tokens per `duration` seconds. */
export interface ActionLimiterSpec {
  keyPrefix: string;
  points: number;
  duration: number;
}

/**
 * Where rate limits and breaker state live when several nodes share them. The in-memory
 * default keeps both per process; `@llmteam/store-redis` provides a cluster-wide one.
 */
export interface ActionCoordination {
  /** Makes a limiter (e.g. `RateLimiterRedis`). */
  createLimiter(spec: ActionLimiterSpec): ActionRateLimiter;
  /** Shared breaker state: ms epoch until which the breaker of `key` is open (0: closed). */
  openUntil?(key: string): Promise<number>;
  /** Records that the breaker of `key` opened until `until` (ms epoch). */
  markOpen?(key: string, until: number): Promise<void>;
  /** Records that the breaker of `key` closed again. */
  markClosed?(key: string): Promise<void>;
  /** Releases connections; called when the engine stops. */
  close?(): Promise<void>;
}

/** Per-process limits: what runs when no cluster-wide coordination is installed. */
export const memoryCoordination: ActionCoordination = {
  createLimiter: (spec) => new RateLimiterMemory(spec),
};

function bucketOf(perSecond: number, burst: number | undefined): { points: number; duration: number } {
  // A fixed window of `burst` tokens refilled every burst/rate seconds keeps the configured
  // average rate and lets a burst of `burst_size` through at once, like a token bucket.
  const capacity = Math.max(1, burst ?? Math.round(perSecond));
  const duration = Math.max(1, Math.round(capacity / perSecond));
  return { points: Math.max(1, Math.round(perSecond * duration)), duration };
}

/** Circuit, bulkhead and rate limits of one action on this node. */
export class ActionPolicies {
  readonly breaker?: CircuitBreakerPolicy;
  readonly bulkhead?: BulkheadPolicy;
  private readonly limiter?: ActionRateLimiter;
  private readonly tenantLimiter?: ActionRateLimiter;
  private readonly maxWaitMs: number;
  private readonly openMs: number;
  inFlight = 0;

  constructor(
    private readonly name: string,
    config: ActionConfig,
    private readonly coordination: ActionCoordination,
  ) {
    const rl = config.rate_limit;
    this.maxWaitMs = parseDuration(rl?.max_wait ?? 5, `actions.${name}.rate_limit.max_wait`);
    const perSecond = rl?.requests_per_second ?? (rl?.requests_per_minute ?? 0) / 60;
    if (rl && perSecond > 0) {
      this.limiter = coordination.createLimiter({
        keyPrefix: `llmt_action_rl:${name}`,
        ...bucketOf(perSecond, rl.burst_size),
      });
      if (rl.per_tenant) {
        const tenantRate = rl.tenant_requests_per_minute ? rl.tenant_requests_per_minute / 60 : perSecond;
        this.tenantLimiter = coordination.createLimiter({
          keyPrefix: `llmt_action_rlt:${name}`,
          ...bucketOf(tenantRate, rl.burst_size),
        });
      }
    }
    this.openMs = parseDuration(
      config.circuit_breaker?.open_timeout ?? 30,
      `actions.${name}.circuit_breaker.open_timeout`,
    );
    if (config.circuit_breaker) {
      // Only failures a retry could fix count: a bad request says nothing about the far side.
      this.breaker = circuitBreaker(
        handleWhen((e) => !isLlmteamError(e) || e.retryable),
        {
          halfOpenAfter: this.openMs,
          breaker: new ConsecutiveBreaker(config.circuit_breaker.failure_threshold ?? 5),
        },
      );
      this.breaker.onBreak(() => {
        void this.coordination.markOpen?.(`llmt_action_cb:${name}`, Date.now() + this.openMs);
      });
      this.breaker.onReset(() => {
        void this.coordination.markClosed?.(`llmt_action_cb:${name}`);
      });
    }
    if (config.max_concurrency) this.bulkhead = makeBulkhead(config.max_concurrency, config.max_queue ?? 0);
  }

  /** `closed`, `open` or `half_open`, as this node sees it. */
  get circuitState(): 'closed' | 'open' | 'half_open' {
    const state = this.breaker?.state;
    if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
    if (state === CircuitState.HalfOpen) return 'half_open';
    return 'closed';
  }

  /** Waits for a token of the action's (and the tenant's) bucket, up to `max_wait`. */
  async acquire(tenantId: string, signal: AbortSignal | undefined): Promise<void> {
    if (this.limiter) await this.take(this.limiter, 'all', signal);
    if (this.tenantLimiter) await this.take(this.tenantLimiter, tenantId, signal);
  }

  private async take(
    limiter: ActionRateLimiter,
    key: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const started = Date.now();
    for (;;) {
      let wait: number;
      try {
        await limiter.consume(key);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) {
          throw new LlmteamError(
            'LLMT_E_ACTION_UNAVAILABLE',
            `action "${this.name}": its rate limiter failed: ${(rejection as Error)?.message ?? rejection}`,
            { cause: rejection, retryable: true, details: { action: this.name, field: 'rate_limit' } },
          );
        }
        wait = rejection.msBeforeNext;
      }
      const waited = Date.now() - started;
      if (waited + wait > this.maxWaitMs) {
        throw new LlmteamError(
          'LLMT_E_RATE_LIMITED',
          `action "${this.name}" is rate limited${key === 'all' ? '' : ` for tenant "${key}"`}: no token within rate_limit.max_wait (${this.maxWaitMs} ms); raise rate_limit or max_wait, or call less often`,
          { retryable: true, details: { action: this.name, field: 'rate_limit', retry_after_ms: wait } },
        );
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, wait + Math.floor(Math.random() * 5));
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(signal?.reason);
          },
          { once: true },
        );
      });
    }
  }

  /** Runs `fn` inside the breaker and bulkhead; their refusals become typed errors. */
  async run<T>(
    fn: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const shared = await this.coordination.openUntil?.(`llmt_action_cb:${this.name}`);
    if (this.breaker && shared && shared > Date.now() && this.breaker.state === CircuitState.Closed) {
      throw this.openError(shared - Date.now());
    }
    let call = fn;
    if (this.bulkhead) {
      const inner = call;
      const bh = this.bulkhead;
      call = (s) => bh.execute(() => inner(s), s);
    }
    try {
      if (this.breaker) {
        const inner = call;
        return await this.breaker.execute(() => inner(signal), signal);
      }
      return await call(signal);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.openError(this.openMs);
      if (error instanceof BulkheadRejectedError) {
        throw new LlmteamError(
          'LLMT_E_ACTION_BUSY',
          `action "${this.name}" already runs max_concurrency calls and its queue (max_queue) is full; raise them or call less at once`,
          { retryable: true, cause: error, details: { action: this.name, field: 'max_concurrency' } },
        );
      }
      throw error;
    }
  }

  private openError(retryAfterMs: number): LlmteamError {
    return new LlmteamError(
      'LLMT_E_CIRCUIT_OPEN',
      `action "${this.name}": circuit breaker is open after repeated failures; the call was not made (tries again in about ${Math.max(0, Math.round(retryAfterMs / 1000))} s)`,
      {
        retryable: true,
        details: { action: this.name, field: 'circuit_breaker', retry_after_ms: Math.max(0, retryAfterMs) },
      },
    );
  }
}
