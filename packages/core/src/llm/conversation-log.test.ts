import { expect, test } from 'vitest';
import { ConversationLog } from './conversation-log.js';
import type { LlmMessage } from './types.js';

test('seals only new messages into a node that points at the last one, and restores the whole conversation', () => {
  const log = new ConversationLog();
  const messages: LlmMessage[] = [
    { role: 'system', content: 'You price orders.' },
    { role: 'user', content: 'Price A1' },
  ];
  const first = log.seal(messages)!;
  expect(log.seal(messages)).toBe(first);
  messages.push({ role: 'assistant', content: 'ë 12.50' });
  const second = log.seal(messages)!;
  expect(second.prev).toBe(first);
  expect(second.messages).toEqual([{ role: 'assistant', content: 'ë 12.50' }]);
  expect(second.id).toMatch(/^[0-9a-f]{64}$/);
  // The same content after the same history has the same address.
  const again = new ConversationLog();
  again.seal(messages.slice(0, 2));
  expect(again.seal(messages)?.id).toBe(second.id);

  const restored = ConversationLog.restore(structuredClone(second));
  expect(restored.messages).toEqual(messages);
  const bytes = messages.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m)) + 1, 0);
  expect(restored.log.bytes(restored.messages)).toBe(bytes);
  expect(log.bytes(messages)).toBe(bytes);
  const third = restored.log.seal([...restored.messages, { role: 'user', content: 'and B2?' }]);
  expect(third?.prev?.id).toBe(second.id);
});
