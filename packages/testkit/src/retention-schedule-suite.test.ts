import { MemoryStore } from '@llmteam/core';
import { describe, expect, test } from 'vitest';
import { retentionScheduleSuite } from './retention-schedule-suite.js';

// Core's in-memory store, here because core cannot depend on the testkit.
retentionScheduleSuite({
  name: 'MemoryStore',
  create: async () => new MemoryStore(),
  test,
  expect,
  describe,
});
