import type { Actor } from '../engine/types.js';
import type { InteractionRecord } from '../store/types.js';

/** Parses `assignee_ref` forms: `alice`, `user:alice`, `group:finance`, or a list of them. */
export function parseAssignees(ref: unknown): { users: string[]; groups: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  const list = ref === undefined || ref === null ? [] : Array.isArray(ref) ? ref : [ref];
  for (const item of list) {
    if (typeof item !== 'string' || !item) continue;
    if (item.startsWith('group:')) groups.push(item.slice(6));
    else if (item.startsWith('user:')) users.push(item.slice(5));
    else users.push(item);
  }
  return { users, groups };
}

/** True when `actor` may answer: an assignee (user or group), or a tenant admin. */
export function mayAnswer(interaction: InteractionRecord, actor: Actor): boolean {
  if (actor.roles?.includes('admin')) return true;
  const { users, groups } = interaction.assignees;
  if (users.length === 0 && groups.length === 0)
    return actor.roles === undefined || actor.roles.some((r) => r === 'approver' || r === 'operator');
  if (users.includes(actor.subject)) return true;
  return (actor.groups ?? []).some((g) => groups.includes(g));
}

/** True when `assignee` (a subject, or `group:name`) is among the interaction's current assignees. */
export function isAssignedTo(
  interaction: InteractionRecord,
  assignee: string,
  groups: string[] = [],
): boolean {
  if (assignee.startsWith('group:')) return interaction.assignees.groups.includes(assignee.slice(6));
  return (
    interaction.assignees.users.includes(assignee) ||
    groups.some((g) => interaction.assignees.groups.includes(g))
  );
}
