import { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';

/** Options of {@link RedisConnection}. */
export interface RedisConnectionOptions {
  url: string;
  connectTimeoutMs: number;
  /** Name of the store using the connection, for errors. */
  store: string;
}

/**
 * The two Redis connections the store's parts share: one for commands and publishing,
 * one for the bus subscription (a subscribed connection takes no other commands).
 * `init()` and `close()` are idempotent, so each part may call them.
 */
export class RedisConnection {
  /** The command connection, once connected. */
  redis?: Redis;
  /** The subscriber connection, once connected. */
  sub?: Redis;
  private connecting?: Promise<void>;

  constructor(private readonly options: RedisConnectionOptions) {}

  /** Connects both, failing fast with `LLMT_E_REDIS_UNREACHABLE`. */
  init(): Promise<void> {
    if (this.redis) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const redis = new Redis(this.options.url, {
      lazyConnect: true,
      connectTimeout: this.options.connectTimeoutMs,
      maxRetriesPerRequest: 2,
      retryStrategy: (n) => Math.min(n * 200, 2000),
    });
    const sub = redis.duplicate();
    try {
      await Promise.all([connectOnce(redis), connectOnce(sub)]);
    } catch (error) {
      redis.disconnect();
      sub.disconnect();
      throw this.unreachable(error);
    }
    this.redis = redis;
    this.sub = sub;
  }

  /** The typed error for a Redis that cannot be reached. */
  unreachable(error: unknown): RedisStoreError {
    return new RedisStoreError(
      'LLMT_E_REDIS_UNREACHABLE',
      `${describeRedisUrl(this.options.url)}: cannot connect (${(error as Error).message}). Check that Redis runs at this host and port and accepts the credentials, or fix the store \`url\` option.`,
      { cause: error, details: { store: this.options.store } },
    );
  }

  async close(): Promise<void> {
    const { redis, sub } = this;
    this.redis = this.sub = undefined;
    await Promise.all([
      sub?.quit().catch(() => sub.disconnect()),
      redis?.quit().catch(() => redis.disconnect()),
    ]);
  }
}

/** Connects, failing fast instead of retrying forever. */
async function connectOnce(redis: Redis): Promise<void> {
  let lastError: Error | undefined;
  const onError = (error: Error) => {
    lastError = error;
  };
  redis.on('error', onError);
  try {
    await redis.connect();
  } catch (error) {
    throw lastError ?? error;
  }
}

/** `redis:<host>:<port>`: never the password. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `redis:${u.hostname || '127.0.0.1'}:${u.port || '6379'}`;
  } catch {
    return 'redis:<unparseable url>';
  }
}
