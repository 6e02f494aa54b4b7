import { type AssignmentStrategy, chooseMember, withSkills } from '../assignment/choose-member.js';
import type { SubjectDirectory } from '../directory/subject-directory.js';
import { LlmteamError } from '../errors.js';
import { type InteractionRecord, OPEN_INTERACTION_STATUSES, type Store } from '../store/types.js';
import type { WorktrailEventDraft } from '../worktrail/event-types.js';

export { type AssignmentStrategy, chooseMember, type Standing } from '../assignment/choose-member.js';

/** A step's assignment setting: `assignment` of a `human_task`, or `HumanRequestOptions.assignment`. */
export interface AssignmentOptions {
  strategy: AssignmentStrategy;
  /** `capability`: skills the member must have (all of them). */
  skills?: string[];
}

/** The record of a choice, kept on the interaction (`settings.assignment`) and in its event. */
export interface AssignmentRecord {
  strategy: AssignmentStrategy;
  group: string;
  subject: string;
  /** Open requests the chosen member had when chosen. */
  load: number;
  /** Members that could be chosen (after the skill filter). */
  candidates: number;
}

/**
 * Assigns group requests to one member, durably: the choice is written on the interaction in
 * the commit that creates it (`settings.assignment`), and what the next choice depends on is
 * derived from committed interactions (open ones for load, the group's latest choice for the
 * turn), so a restart continues where it left off. Choices made in this process whose commit
 * has not landed yet count too (a reservation), so requests made at once are spread as well.
 */
export class AssignmentDesk {
  private readonly reserved = new Map<string, Array<{ subject: string; interactionId: string }>>();
  private readonly last = new Map<string, string | undefined>();
  private readonly loading = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly store: Store,
    private readonly directory: SubjectDirectory | undefined,
  ) {}

  /**
   * Chooses the member of `group` for a new request.
   * @throws LlmteamError `LLMT_E_NO_ASSIGNEE` naming the step and field when no member fits.
   */
  async choose(args: {
    tenantId: string;
    stepId: string;
    group: string;
    options: AssignmentOptions;
    interactionId: string;
  }): Promise<AssignmentRecord> {
    const { tenantId, stepId, group, options } = args;
    if (!this.directory)
      throw new LlmteamError(
        'LLMT_E_NO_ASSIGNEE',
        `step "${stepId}", config.assignment: strategy "${options.strategy}" needs the members of group "${group}", but the engine has no \`directory\`; pass one (e.g. staticDirectory([...])) to createEngine`,
      );
    const members = await this.directory.members(tenantId, group);
    const skills = options.strategy === 'capability' ? (options.skills ?? []) : [];
    const fit = withSkills(members, skills);
    if (fit.length === 0)
      throw new LlmteamError(
        'LLMT_E_NO_ASSIGNEE',
        skills.length
          ? `step "${stepId}", config.assignment.skills: no member of group "${group}" has all of ${skills.join(', ')}; declare the skills on a member or ask for fewer`
          : `step "${stepId}", config.assignee_ref: group "${group}" has no members in the directory; add members or assign the request another way`,
      );
    const key = `${tenantId}\u0000${group}`;
    const last = await this.lastChosen(tenantId, group, key);
    const open = await this.openCounts(tenantId, key);
    const standings = fit.map((m) => ({ subject: m.subject, open: open.get(m.subject) ?? 0 }));
    const chosen = chooseMember(options.strategy, standings, last)!;
    this.last.set(key, chosen.subject);
    const pending = this.reserved.get(key) ?? [];
    pending.push({ subject: chosen.subject, interactionId: args.interactionId });
    this.reserved.set(key, pending);
    return {
      strategy: options.strategy,
      group,
      subject: chosen.subject,
      load: chosen.open,
      candidates: fit.length,
    };
  }

  /**
   * The assignees of a new request: with `options`, the chosen member of the first group
   * (first among the users, the group removed); without, `assignees` as they are.
   */
  async apply(
    ctx: { tenantId: string; stepId: string },
    options: AssignmentOptions | undefined,
    assignees: { users: string[]; groups: string[] },
    interactionId: string,
  ): Promise<{ assignees: { users: string[]; groups: string[] }; assignment?: AssignmentRecord }> {
    if (!options) return { assignees };
    const group = assignees.groups[0];
    if (!group)
      throw new LlmteamError(
        'LLMT_E_NO_ASSIGNEE',
        `step "${ctx.stepId}", config.assignee_ref: assignment "${options.strategy}" picks a member of a group; assign the request to \`group:<name>\``,
        { retryable: false },
      );
    const assignment = await this.choose({
      tenantId: ctx.tenantId,
      stepId: ctx.stepId,
      group,
      options,
      interactionId,
    });
    return {
      assignees: {
        users: [assignment.subject, ...assignees.users.filter((u) => u !== assignment.subject)],
        groups: assignees.groups.slice(1),
      },
      assignment,
    };
  }

  /** Forgets a reservation once its interaction is committed (or its commit failed). */
  settle(tenantId: string, group: string, interactionId: string): void {
    const key = `${tenantId}\u0000${group}`;
    const pending = this.reserved.get(key);
    if (!pending) return;
    const left = pending.filter((r) => r.interactionId !== interactionId);
    if (left.length) this.reserved.set(key, left);
    else this.reserved.delete(key);
  }

  /** Open requests per subject: committed ones, plus choices not committed yet. */
  private async openCounts(tenantId: string, key: string): Promise<Map<string, number>> {
    const open = await this.store.listInteractions(tenantId, { status: [...OPEN_INTERACTION_STATUSES] });
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    for (const i of open) {
      seen.add(i.interactionId);
      for (const u of i.assignees.users) counts.set(u, (counts.get(u) ?? 0) + 1);
    }
    for (const r of this.reserved.get(key) ?? [])
      if (!seen.has(r.interactionId)) counts.set(r.subject, (counts.get(r.subject) ?? 0) + 1);
    return counts;
  }

  /** The member chosen last for the group: remembered here, read from the store once per process. */
  private lastChosen(tenantId: string, group: string, key: string): Promise<string | undefined> {
    if (this.last.has(key)) return Promise.resolve(this.last.get(key));
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.store.listInteractions(tenantId).then((all: InteractionRecord[]) => {
        let latest: { at: string; id: string; subject: string } | undefined;
        for (const i of all) {
          const a = (i.settings as { assignment?: AssignmentRecord } | undefined)?.assignment;
          if (a?.group !== group) continue;
          // Ids are time-ordered (ULIDs): they break ties between requests of one instant.
          if (
            !latest ||
            i.createdAt > latest.at ||
            (i.createdAt === latest.at && i.interactionId > latest.id)
          )
            latest = { at: i.createdAt, id: i.interactionId, subject: a.subject };
        }
        if (!this.last.has(key)) this.last.set(key, latest?.subject);
        this.loading.delete(key);
        return this.last.get(key);
      });
      this.loading.set(key, loading);
    }
    return loading;
  }
}

/** The `interaction.assigned` event of a choice. */
export function assignedEvent(interactionId: string, a: AssignmentRecord): WorktrailEventDraft {
  return {
    type: 'interaction.assigned',
    data: {
      interaction_id: interactionId,
      strategy: a.strategy,
      group: a.group,
      subject: a.subject,
      load: a.load,
      candidates: a.candidates,
    },
  };
}
