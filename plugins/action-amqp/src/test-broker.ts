import { serviceReachable } from '@llmteam/testkit';

/** The local test broker; tests skip when it is unreachable (and fail on CI). */
export const TEST_AMQP_URL = process.env.LLMTEAM_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function amqpReachable(): Promise<boolean> {
  return serviceReachable('RabbitMQ', TEST_AMQP_URL, 5672);
}
