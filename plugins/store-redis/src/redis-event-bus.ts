import { randomUUID } from 'node:crypto';
import {
  type EventListener,
  type EventTransport,
  OrderedDelivery,
  type RunJournal,
  type WorktrailEvent,
} from '@llmteam/core';
import type { RedisConnection } from './redis-connection.js';

/** What a node publishes per commit. */
interface BusMessage {
  /** Publishing node. */
  o: string;
  events: WorktrailEvent[];
}

/**
 * The cross-node event bus on a Redis channel: each commit's events are published on
 * `<keyPrefix>events`; every node delivers each event once, in seq order per run, to its
 * subscribers: its own commits directly, other nodes' from the channel (a gap is filled
 * from the journal).
 */
export class RedisEventBus implements EventTransport {
  readonly crossProcess = true;
  private readonly nodeId = randomUUID();
  private readonly listeners = new Set<EventListener>();
  private journal?: RunJournal;
  private readonly delivery = new OrderedDelivery(
    (tenantId, runId, afterSeq, limit) =>
      this.journal ? this.journal.listEvents(tenantId, runId, { afterSeq, limit }) : Promise.resolve([]),
    (events) => {
      for (const listener of this.listeners) {
        try {
          listener(events);
        } catch {
          // A failing listener must not stop delivery to the others.
        }
      }
    },
  );
  private deliveries: Promise<void> = Promise.resolve();
  private subscribed = false;

  constructor(
    readonly name: string,
    private readonly connection: RedisConnection,
    private readonly channel: string,
  ) {}

  async init(journal: RunJournal): Promise<void> {
    this.journal = journal;
    await this.connection.init();
    if (this.subscribed) return;
    const sub = this.connection.sub!;
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
    try {
      await sub.subscribe(this.channel);
    } catch (error) {
      await this.connection.close();
      throw this.connection.unreachable(error);
    }
    this.subscribed = true;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscribed = false;
    await this.connection.close();
  }

  async publish(events: WorktrailEvent[]): Promise<void> {
    const redis = this.connection.redis;
    if (redis) {
      // A bus failure only costs a reconnecting subscriber's `afterSeq` catch-up.
      await redis
        .publish(this.channel, JSON.stringify({ o: this.nodeId, events } satisfies BusMessage))
        .catch(() => undefined);
    }
    if (this.listeners.size) this.deliver(events);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private onMessage(message: string): void {
    let parsed: BusMessage;
    try {
      parsed = JSON.parse(message) as BusMessage;
    } catch {
      return;
    }
    // This node delivered its own commits when they returned.
    if (parsed.o === this.nodeId || !parsed.events?.length || !this.listeners.size) return;
    this.deliver(parsed.events);
  }

  /** Hands events on once and in order (one delivery at a time). */
  private deliver(events: WorktrailEvent[]): void {
    this.deliveries = this.deliveries.then(() => {
      if (!this.listeners.size) this.delivery.clear();
      else return this.delivery.deliver(events);
    });
  }
}
