import { describe, expect, test } from 'vitest';
import { readmeExamplesSuite } from './index.js';

readmeExamplesSuite({
  readme: new URL('../README.md', import.meta.url),
  conditions: ['llmteam-source'],
  test,
  expect,
  describe,
});
