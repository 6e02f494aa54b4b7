import { readmeExamplesSuite } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';

readmeExamplesSuite({
  readme: new URL('../README.md', import.meta.url),
  conditions: ['llmteam-source'],
  test,
  expect,
  describe,
});
