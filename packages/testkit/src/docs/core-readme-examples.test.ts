import { describe, expect, test } from 'vitest';
import { readmeExamplesSuite } from './readme-examples-suite.js';

// Core's README, here because core cannot depend on the testkit (which depends on core).
readmeExamplesSuite({
  readme: new URL('../../../core/README.md', import.meta.url),
  conditions: ['llmteam-source'],
  test,
  expect,
  describe,
});
