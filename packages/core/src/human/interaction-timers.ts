import type { StepCommit, StepTimerHandler } from '../catalog/step-hooks.js';
import type { InteractionHost } from '../engine/interaction-port.js';
import type { Actor } from '../engine/types.js';
import type { NotificationReason } from '../notify/types.js';
import type { InteractionRecord, InteractionResponse, TimerRecord } from '../store/types.js';
import { CLOSED_INTERACTION_STATUSES } from '../store/types.js';
import { parseAssignees } from './assignees.js';

/** What the timers need from the desk. */
export interface TimerDesk {
  readonly host: InteractionHost;
  /** Records an answer (and, when it closes the request, delivers it to the step). */
  apply(
    commit: StepCommit,
    current: InteractionRecord,
    response: InteractionResponse,
    outcome: InteractionResponse | undefined,
    actor: Actor,
  ): Promise<InteractionRecord>;
  notify(tenantId: string, interaction: InteractionRecord, reason: NotificationReason): Promise<void>;
}

/** The request a timer belongs to, while it is open and of the timer's own run. */
async function openRequest(commit: StepCommit, timer: TimerRecord): Promise<InteractionRecord | undefined> {
  const i = await commit.interaction(timer.payload?.interactionId as string);
  return i && i.runId === timer.runId && !CLOSED_INTERACTION_STATUSES.has(i.status) ? i : undefined;
}

/**
 * The timer kinds of requests: deadline (escalate or resolve per `on_timeout`),
 * auto-approve, SLA warning and breach. They fire for whichever step made the request.
 */
export function interactionTimers(desk: TimerDesk): Record<string, StepTimerHandler> {
  const { host } = desk;
  const system: Actor = { subject: 'system', roles: ['admin'] };
  return {
    'interaction.timeout': async (commit, timer) => {
      const i = await openRequest(commit, timer);
      if (!i) return;
      const chain = (i.settings.escalationChain as Array<string | string[]>) ?? [];
      const onTimeout = i.settings.onTimeout as string | undefined;
      if (onTimeout === 'escalate' && i.escalationLevel < chain.length) {
        const level = i.escalationLevel + 1;
        const assignees = parseAssignees(chain[level - 1]);
        const timeoutMs = i.settings.timeoutMs as number;
        const next = commit.addTimer({
          kind: timer.kind,
          dueAt: new Date(host.clock.now() + timeoutMs).toISOString(),
          payload: timer.payload,
        });
        const escalated: InteractionRecord = {
          ...i,
          status: 'escalated',
          escalationLevel: level,
          assignees,
          deadline: next.dueAt,
          settings: {
            ...i.settings,
            timerIds: [
              ...((i.settings.timerIds as string[]) ?? []).filter((t) => t !== timer.timerId),
              next.timerId,
            ],
          },
          updatedAt: host.nowIso(),
        };
        commit.putInteraction(escalated);
        commit.emit('interaction.escalated', { interaction_id: i.interactionId, level, assignees });
        commit.audit({
          action: 'interaction.escalated',
          actor: 'system',
          target: i.interactionId,
          data: { level },
        });
        commit.afterCommit(() => void desk.notify(i.tenantId, escalated, 'escalated'));
        return;
      }
      const action = onTimeout === 'approve' ? 'approve' : onTimeout === 'reject' ? 'reject' : 'timeout';
      const response: InteractionResponse = {
        action,
        subject: 'system',
        at: host.nowIso(),
        comment: 'timed out',
      };
      await desk.apply(commit, i, response, response, system);
      if (action !== 'timeout')
        commit.emit('interaction.timed_out', { interaction_id: i.interactionId, resolved_as: action });
    },
    'interaction.auto_approve': async (commit, timer) => {
      const i = await openRequest(commit, timer);
      if (!i) return;
      const response: InteractionResponse = {
        action: 'approve',
        subject: 'system:auto-approve',
        at: host.nowIso(),
        comment: 'approved automatically',
      };
      await desk.apply(commit, i, response, response, { subject: 'system:auto-approve', roles: ['admin'] });
    },
    'interaction.sla_warning': async (commit, timer) => {
      const i = await openRequest(commit, timer);
      if (!i) return;
      commit.emit('interaction.sla_warning', {
        interaction_id: i.interactionId,
        breach_at: i.slaBreachAt ?? i.deadline,
      });
      commit.afterCommit(() => void desk.notify(i.tenantId, i, 'sla_warning'));
    },
    'interaction.sla_breach': async (commit, timer) => {
      const i = await openRequest(commit, timer);
      if (!i) return;
      commit.emit('interaction.sla_breached', { interaction_id: i.interactionId });
      commit.audit({ action: 'interaction.sla_breached', actor: 'system', target: i.interactionId });
      commit.afterCommit(() => void desk.notify(i.tenantId, i, 'sla_breached'));
    },
  };
}
