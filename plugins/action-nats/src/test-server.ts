import { serviceReachable } from '@llmteam/testkit';

/** The local NATS server (with JetStream); tests skip when it is unreachable (and fail on CI). */
export const TEST_NATS_URL = process.env.LLMTEAM_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export function natsReachable(): Promise<boolean> {
  return serviceReachable('NATS', TEST_NATS_URL, 4222);
}
