import type { Logger } from '@llmteam/core';
import { pino } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** @default process.env.LOG_LEVEL ?? "info" */
  level?: string;
  /** Where JSON lines go. @default stdout */
  destination?: NodeJS.WritableStream;
}

/** A pino logger writing one JSON object per line (the gateway's structured logs). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const base = { service: 'llmteam-gateway' };
  return (options.destination
    ? pino({ level, base }, options.destination)
    : pino({ level, base })) as unknown as Logger;
}
