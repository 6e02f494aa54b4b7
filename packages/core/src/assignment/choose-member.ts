/**
 * The assignment strategies, shared by requests to a group of people (`human/assignment`)
 * and by agent pools (`orchestration/agent-pool`): one rule for who is next.
 */

/** How one member of a group (or agent of a pool) is chosen for a request. */
export type AssignmentStrategy = 'round_robin' | 'least_loaded' | 'capability';

/** The strategies, for config schemas. */
export const ASSIGNMENT_STRATEGIES: readonly AssignmentStrategy[] = [
  'round_robin',
  'least_loaded',
  'capability',
];

/** One candidate's standing: its open work now (requests of a person, runs of an agent). */
export interface Standing {
  subject: string;
  open: number;
}

/**
 * Picks among candidates (in their declared order), starting after the one chosen last:
 * `round_robin` the next one in turn, so counts stay within one of each other;
 * `least_loaded` and `capability` the one with the least open work, the next in turn among
 * equals, so a busier one is never chosen while a less busy one is free.
 */
export function chooseMember(
  strategy: AssignmentStrategy,
  candidates: Standing[],
  last: string | undefined,
): Standing | undefined {
  const after = last === undefined ? -1 : candidates.findIndex((c) => c.subject === last);
  const turn = [...candidates.slice(after + 1), ...candidates.slice(0, after + 1)];
  if (strategy === 'round_robin') return turn[0];
  let best: Standing | undefined;
  for (const c of turn) if (!best || c.open < best.open) best = c;
  return best;
}

/** The candidates that have every one of `skills` (all of them when `skills` is empty). */
export function withSkills<T extends { skills?: readonly string[] }>(
  candidates: T[],
  skills: readonly string[],
): T[] {
  return candidates.filter((c) => skills.every((s) => (c.skills ?? []).includes(s)));
}
