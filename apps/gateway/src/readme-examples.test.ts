import { readmeExamplesSuite } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';

// The README's gateway serves with this admin key; its curl calls use it.
const env = { LLMTEAM_BOOTSTRAP_API_KEY: 'llmt_readme-gateway-admin-key-0123456789', LOG_LEVEL: 'warn' };

readmeExamplesSuite({
  readme: new URL('../README.md', import.meta.url),
  conditions: ['llmteam-source'],
  run: { env },
  test,
  expect,
  describe,
});
