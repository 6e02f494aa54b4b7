import { describe, expect, test } from 'vitest';
// Relative: core does not depend on testkit (testkit depends on core).
import { storeConformanceSuite } from '../../../testkit/src/store-suite.js';
import { MemoryStore } from './memory-store.js';

storeConformanceSuite({ name: 'MemoryStore', create: async () => new MemoryStore(), test, expect, describe });
