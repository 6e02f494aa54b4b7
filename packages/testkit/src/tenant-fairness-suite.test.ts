import { MemoryStore } from '@llmteam/core';
import { describe, expect, test } from 'vitest';
import { tenantFairnessSuite } from './tenant-fairness-suite.js';

tenantFairnessSuite({
  name: 'MemoryStore',
  create: async () => new MemoryStore(),
  createPeer: async (store) => store,
  test,
  expect,
  describe,
});
