import { createHash } from 'node:crypto';
import type { LlmMessage } from './types.js';

/**
 * One committed piece of an agent's conversation: the messages one commit added, and the
 * pieces before it. A node never changes once committed, and `id` is its content address
 * (SHA-256 over the previous node's id and these messages), so a later state that holds it
 * holds the same value: a store that keeps large sub-values once by content hash (the SQL
 * stores) writes each piece once, and an in-memory store keeps one copy of it.
 */
export interface ConversationNode {
  id: string;
  messages: LlmMessage[];
  prev?: ConversationNode;
}

/**
 * The conversation as an agent commits it: a chain of {@link ConversationNode}s whose head
 * is the newest piece. Each commit adds one node with the messages that are new since the
 * last one, so what a commit carries that was not committed before is the new messages and
 * a node header, not the whole conversation again.
 */
export class ConversationLog {
  private head?: ConversationNode;
  private sealed = 0;
  private sealedBytes = 0;

  /** The log of a committed chain and its messages in order (oldest first). */
  static restore(head: ConversationNode | undefined): { log: ConversationLog; messages: LlmMessage[] } {
    const log = new ConversationLog();
    const pieces: LlmMessage[][] = [];
    for (let node = head; node; node = node.prev) pieces.push(node.messages);
    const messages = pieces.reverse().flat();
    log.head = head;
    log.sealed = messages.length;
    log.sealedBytes = messages.reduce((sum, m) => sum + messageBytes(m), 0);
    return { log, messages };
  }

  /** UTF-8 bytes of the JSON of `messages` (the whole conversation), counting committed ones once. */
  bytes(messages: readonly LlmMessage[]): number {
    let bytes = this.sealedBytes;
    for (let i = this.sealed; i < messages.length; i++) bytes += messageBytes(messages[i]!);
    return bytes;
  }

  /**
   * The chain to commit for `messages`, whose first committed messages must be the ones
   * already sealed: the messages after them become a new head node. Returns the same head
   * when nothing is new.
   */
  seal(messages: readonly LlmMessage[]): ConversationNode | undefined {
    if (messages.length === this.sealed) return this.head;
    const fresh = structuredClone(messages.slice(this.sealed));
    const id = createHash('sha256')
      .update(this.head?.id ?? '')
      .update('\n')
      .update(JSON.stringify(fresh))
      .digest('hex');
    this.sealedBytes = this.bytes(messages);
    this.sealed = messages.length;
    this.head = { id, messages: fresh, ...(this.head ? { prev: this.head } : {}) };
    return this.head;
  }
}

function messageBytes(message: LlmMessage): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8') + 1;
}
