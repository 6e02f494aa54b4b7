import { storeConformanceSuite } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';
import { MemoryStore } from './memory-store.js';

storeConformanceSuite({ name: 'MemoryStore', create: async () => new MemoryStore(), test, expect, describe });
