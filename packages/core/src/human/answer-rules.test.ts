import { describe, expect, test } from 'vitest';
import type { InteractionRecord } from '../store/types.js';
import { checkAnswer } from './answer-rules.js';

const request = (type: InteractionRecord['type']) =>
  ({ interactionId: 'int_1', type, settings: {}, revision: 0 }) as unknown as InteractionRecord;
const noSchema = () => Object.assign(() => true, { errors: null }) as never;

describe('checkAnswer', () => {
  test('names the answers a request type takes, with the right article', () => {
    expect(() => checkAnswer(request('input'), { action: 'approve' } as never, noSchema)).toThrow(
      'an input request takes respond, reject, not "approve"',
    );
    expect(() => checkAnswer(request('approval'), { action: 'respond' } as never, noSchema)).toThrow(
      'an approval request takes approve, reject, not "respond"',
    );
    expect(() => checkAnswer(request('choice'), { action: 'approve' } as never, noSchema)).toThrow(
      'a choice request takes respond, reject, not "approve"',
    );
  });
});
