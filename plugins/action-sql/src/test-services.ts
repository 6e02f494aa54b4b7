import { serviceReachable } from '@llmteam/testkit';

/** Local test databases; tests skip when one is unreachable (and fail on CI). */
export const TEST_POSTGRES_URL =
  process.env.LLMTEAM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_MYSQL_URL = process.env.LLMTEAM_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Whether `url`'s host and port accept TCP connections; on CI a refusal is an error. */
export function reachable(what: string, url: string): Promise<boolean> {
  return serviceReachable(what, url);
}
