import type { Interaction, Json } from '@llmteam/client';
import { useEffect, useId, useState } from 'react';
import { json } from './format.js';
import { type JsonSchema, type SchemaProblem, validateSchema } from './json-schema.js';
import { SchemaFields } from './schema-form.js';
import { useSession } from './session.js';

/** What an agent's tool approval asks about (the request's context, as the engine drafts it). */
export interface ToolCall {
  tool: string;
  arguments: unknown;
  reason: string | null;
  stepId?: string;
  turn?: number;
}

/** The tool call a request asks about, or undefined when it is no tool approval. */
export function toolCallOf(interaction: Interaction): ToolCall | undefined {
  const context = interaction.context as Record<string, unknown> | null | undefined;
  if (interaction.type !== 'REVIEW' || !context || context.kind !== 'tool_approval') return undefined;
  return {
    tool: String(context.tool ?? ''),
    arguments: context.arguments ?? {},
    reason: typeof context.reason === 'string' ? context.reason : (interaction.description ?? null),
    ...(typeof context.step_id === 'string' ? { stepId: context.step_id } : {}),
    ...(typeof context.turn === 'number' ? { turn: context.turn } : {}),
  };
}

/** The tool, its arguments and the model's reason, shown instead of the raw context. */
export function ToolCallFacts({ call }: { call: ToolCall }) {
  return (
    <section aria-label="Tool call" className="tool-call">
      <h3>
        Tool <code className="tool-name">{call.tool}</code>
      </h3>
      <dl className="facts">
        <dt>Model’s reason</dt>
        <dd className="tool-reason">{call.reason ?? 'none given'}</dd>
        {call.turn !== undefined ? (
          <>
            <dt>Turn</dt>
            <dd>{call.turn}</dd>
          </>
        ) : null}
      </dl>
      <h4>Arguments</h4>
      <pre className="context tool-arguments">{json(call.arguments)}</pre>
    </section>
  );
}

/** Props of {@link ToolApprovalControls}. */
export interface ToolApprovalControlsProps {
  interaction: Interaction;
  call: ToolCall;
  busy: boolean;
  send: (action: () => Promise<Interaction>) => void;
  /** Problems the gateway named when it refused edited arguments. */
  problems: SchemaProblem[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Approve the call as the model made it, approve it with edited arguments (checked against
 * the tool's parameter schema before sending), or refuse it with a reason the model is told.
 */
export function ToolApprovalControls({ interaction, call, busy, send, problems }: ToolApprovalControlsProps) {
  const { client } = useSession();
  const id = useId();
  const [edited, setEdited] = useState<unknown>(call.arguments);
  const [comment, setComment] = useState('');
  const [local, setLocal] = useState<SchemaProblem[]>([]);
  const [note, setNote] = useState<string>();
  // The JSON box keeps its own text: a new key starts it again from the value.
  const [generation, setGeneration] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: start again from the model's arguments for another request
  useEffect(() => {
    setEdited(call.arguments);
    setComment('');
    setLocal([]);
    setNote(undefined);
    setGeneration((g) => g + 1);
  }, [interaction.id]);

  const schema = (interaction.inputSchema ?? null) as JsonSchema | null;
  const changed = !same(edited, call.arguments);
  const shown = local.length ? local : problems;
  const form: JsonSchema =
    schema && (schema.properties || schema.type) ? schema : { type: 'object', additionalProperties: true };

  const approveEdited = () => {
    const found = schema ? validateSchema(schema, edited ?? {}) : [];
    setLocal(found);
    if (found.length) {
      setNote('The edited arguments do not fit the tool’s parameters; fix the highlighted fields.');
      return;
    }
    setNote(undefined);
    send(() => client.approveWithEdits(interaction.id, (edited ?? {}) as Json, comment || undefined));
  };

  return (
    <form className="answer tool-approval" onSubmit={(e) => e.preventDefault()}>
      <fieldset>
        <legend>Arguments to run it with</legend>
        <p className="help">
          Change them to approve an edited call; the model sees the result of the call as run.
        </p>
        {form.properties ? (
          <SchemaFields
            key={generation}
            schema={form}
            value={edited}
            problems={shown}
            onChange={(next) => {
              setEdited(next);
              if (local.length && schema) {
                const found = validateSchema(schema, next ?? {});
                setLocal(found);
                if (!found.length) setNote(undefined);
              }
            }}
          />
        ) : (
          <SchemaFields
            key={generation}
            schema={{}}
            label="Arguments (JSON)"
            value={edited}
            problems={shown}
            onChange={setEdited}
          />
        )}
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-comment`}>Reason or comment (the model is told a rejection’s reason)</label>
        <textarea
          id={`${id}-comment`}
          rows={3}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
        />
      </div>
      {note ? (
        <p className="error" role="alert">
          {note}
        </p>
      ) : null}
      <div className="buttons">
        <button
          type="button"
          className="primary"
          disabled={busy || changed}
          title={changed ? 'The arguments were edited: approve with edits, or undo the edits' : undefined}
          onClick={() => send(() => client.approve(interaction.id, comment || undefined))}
        >
          Approve call
        </button>
        <button type="button" disabled={busy || !changed} onClick={approveEdited}>
          Approve with edits
        </button>
        {changed ? (
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setEdited(call.arguments);
              setLocal([]);
              setGeneration((g) => g + 1);
            }}
          >
            Undo edits
          </button>
        ) : null}
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={() => {
            if (!comment.trim()) {
              setNote('Say why: the model is told the reason for a refused call.');
              return;
            }
            send(() => client.reject(interaction.id, comment));
          }}
        >
          Reject call
        </button>
      </div>
    </form>
  );
}
