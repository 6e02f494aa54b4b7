import { type Interaction, isLlmteamClientError, type Json } from '@llmteam/client';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { ChatControls, ChatMessages } from './chat-panel.js';
import { diffLines, diffText } from './diff.js';
import { age, dueIn, json, lower, when } from './format.js';
import { type JsonSchema, type SchemaProblem, validateSchema } from './json-schema.js';
import { SchemaFields } from './schema-form.js';
import { useSession } from './session.js';
import { ToolApprovalControls, ToolCallFacts, toolCallOf } from './tool-approval.js';

/** Props of {@link AnswerPanel}. */
export interface AnswerPanelProps {
  interaction: Interaction;
  /** Called with the request as the gateway returns it after an answer (or a refusal). */
  onAnswered: (interaction: Interaction) => void;
}

const OPEN = new Set(['PENDING', 'NOTIFIED', 'IN_PROGRESS', 'ESCALATED']);

/** True while a request still takes an answer. */
export function isOpen(interaction: Interaction): boolean {
  return OPEN.has(interaction.status);
}

function Diff({ before, after }: { before: unknown; after: unknown }) {
  const lines = diffLines(diffText(before), diffText(after));
  return (
    <figure className="diff">
      <figcaption>Changes since the previous revision</figcaption>
      <pre>
        {lines.map((line, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff have no identity but their place
          <div key={i} className={`diff-${line.kind}`}>
            <span aria-hidden="true">
              {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
            </span>
            <span className="visually-hidden">
              {line.kind === 'added' ? 'added: ' : line.kind === 'removed' ? 'removed: ' : ''}
            </span>
            {line.text}
          </div>
        ))}
      </pre>
    </figure>
  );
}

function optionsOf(interaction: Interaction): Array<{ value: Json; label: string }> {
  const raw = Array.isArray(interaction.options) ? interaction.options : [];
  return raw.map((option) => {
    if (option && typeof option === 'object' && !Array.isArray(option) && 'value' in option) {
      const o = option as { value: Json; label?: Json };
      return { value: o.value, label: String(o.label ?? o.value) };
    }
    return { value: option, label: typeof option === 'string' ? option : JSON.stringify(option) };
  });
}

/** A request with its context and the controls to answer it in place. */
export function AnswerPanel({ interaction, onAnswered }: AnswerPanelProps) {
  const session = useSession();
  const id = useId();
  const [comment, setComment] = useState('');
  const [value, setValue] = useState<unknown>(undefined);
  const [problems, setProblems] = useState<SchemaProblem[]>([]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [previous, setPrevious] = useState<Interaction | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset the form when another request is shown
  useEffect(() => {
    setComment('');
    setValue(undefined);
    setProblems([]);
    setError(undefined);
  }, [interaction.id]);

  // A later revision of a review: fetch the earlier request of the same step to diff against.
  useEffect(() => {
    setPrevious(null);
    if (interaction.revision < 1) return;
    let live = true;
    session.client
      .run(interaction.runId)
      .then((run) => {
        const earlier = (run?.interactions ?? [])
          .filter((i) => i.stepId === interaction.stepId && i.revision === interaction.revision - 1)
          .at(-1);
        if (live) setPrevious(earlier ?? null);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [session.client, interaction.runId, interaction.stepId, interaction.revision]);

  const open = isOpen(interaction);
  const toolCall = toolCallOf(interaction);
  const schema = (interaction.inputSchema ?? { type: 'object' }) as JsonSchema;

  async function send(action: () => Promise<Interaction>) {
    setBusy(true);
    setError(undefined);
    try {
      onAnswered(await action());
    } catch (cause) {
      if (isLlmteamClientError(cause) && cause.code === 'CONFLICT') {
        setError(`Already answered elsewhere; your answer was not applied. ${cause.message}`);
        const run = await session.client.run(interaction.runId).catch(() => null);
        const closed = run?.interactions.find((i) => i.id === interaction.id);
        onAnswered(closed ?? { ...interaction, status: 'COMPLETED' });
      } else if (isLlmteamClientError(cause) && cause.llmteamCode === 'LLMT_E_RESPONSE_INVALID') {
        const details = (cause.errors[0]?.extensions?.details ?? {}) as { errors?: string[] };
        setError(cause.message);
        if (Array.isArray(details.errors))
          setProblems(
            details.errors.map((line) => {
              const [path, ...rest] = line.split(' ');
              return { path: path === '(answer)' || path === '(value)' ? '' : path, message: rest.join(' ') };
            }),
          );
      } else setError((cause as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const submitInput = (event: FormEvent) => {
    event.preventDefault();
    const found = validateSchema(schema, value ?? {});
    setProblems(found);
    if (found.length) {
      setError('Fix the highlighted fields: the answer does not match the request’s schema.');
      return;
    }
    void send(() => session.client.respond(interaction.id, (value ?? {}) as Json, comment || undefined));
  };

  const commentBox = (labelText: string) => (
    <div className="field">
      <label htmlFor={`${id}-comment`}>{labelText}</label>
      <textarea id={`${id}-comment`} rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
    </div>
  );
  const reject = (
    <button
      type="button"
      className="danger"
      disabled={busy}
      onClick={() => send(() => session.client.reject(interaction.id, comment || undefined))}
    >
      Reject
    </button>
  );

  let controls: React.ReactNode = null;
  if (open && session.canAnswer) {
    switch (interaction.type) {
      case 'APPROVAL':
        controls = (
          <form className="answer" onSubmit={(e) => e.preventDefault()}>
            {commentBox('Comment (optional)')}
            <div className="buttons">
              <button
                type="button"
                className="primary"
                disabled={busy}
                onClick={() => send(() => session.client.approve(interaction.id, comment || undefined))}
              >
                Approve
              </button>
              {reject}
            </div>
          </form>
        );
        break;
      case 'REVIEW':
        controls = toolCall ? (
          <ToolApprovalControls
            interaction={interaction}
            call={toolCall}
            busy={busy}
            problems={problems}
            send={(action) => void send(action)}
          />
        ) : (
          <form className="answer" onSubmit={(e) => e.preventDefault()}>
            {commentBox('Comment or requested changes')}
            <div className="buttons">
              <button
                type="button"
                className="primary"
                disabled={busy}
                onClick={() => send(() => session.client.approve(interaction.id, comment || undefined))}
              >
                Approve
              </button>
              <button
                type="button"
                disabled={busy}
                onClick={() => {
                  if (!comment.trim()) {
                    setError('Say what should change: request changes needs feedback.');
                    return;
                  }
                  void send(() => session.client.requestChanges(interaction.id, comment));
                }}
              >
                Request changes
              </button>
              {reject}
            </div>
          </form>
        );
        break;
      case 'CHOICE': {
        const options = optionsOf(interaction);
        controls = (
          <form
            className="answer"
            onSubmit={(e) => {
              e.preventDefault();
              if (value === undefined) {
                setError('Pick one of the options.');
                return;
              }
              void send(() => session.client.respond(interaction.id, value as Json, comment || undefined));
            }}
          >
            <fieldset>
              <legend>Options</legend>
              {options.map((option) => (
                <div className="field-check" key={JSON.stringify(option.value)}>
                  <input
                    type="radio"
                    id={`${id}-${JSON.stringify(option.value)}`}
                    name={`${id}-choice`}
                    checked={JSON.stringify(value) === JSON.stringify(option.value)}
                    onChange={() => setValue(option.value)}
                  />
                  <label htmlFor={`${id}-${JSON.stringify(option.value)}`}>{option.label}</label>
                </div>
              ))}
            </fieldset>
            {commentBox('Comment (optional)')}
            <div className="buttons">
              <button type="submit" className="primary" disabled={busy}>
                Submit choice
              </button>
              {reject}
            </div>
          </form>
        );
        break;
      }
      case 'INPUT':
        controls = (
          <form className="answer" noValidate onSubmit={submitInput}>
            <SchemaFields
              schema={schema}
              value={value}
              problems={problems}
              onChange={(next) => {
                setValue(next);
                if (problems.length) setProblems(validateSchema(schema, next ?? {}));
              }}
            />
            {commentBox('Comment (optional)')}
            <div className="buttons">
              <button type="submit" className="primary" disabled={busy}>
                Submit
              </button>
              {reject}
            </div>
          </form>
        );
        break;
      case 'TASK':
        controls = (
          <form className="answer" onSubmit={(e) => e.preventDefault()}>
            {commentBox('What was done')}
            <div className="buttons">
              <button
                type="button"
                className="primary"
                disabled={busy}
                onClick={() =>
                  send(() => session.client.respond(interaction.id, { done: true }, comment || undefined))
                }
              >
                Mark done
              </button>
              {reject}
            </div>
          </form>
        );
        break;
      case 'CHAT':
        controls = (
          <ChatControls interaction={interaction} busy={busy} send={(action) => void send(action)} />
        );
        break;
    }
  }

  return (
    <article className="request" aria-labelledby={`${id}-title`}>
      <header>
        <h2 id={`${id}-title`}>{interaction.title}</h2>
        <p className="meta">
          <span className={`badge priority-${interaction.priority.toLowerCase()}`}>
            {lower(interaction.priority)}
          </span>{' '}
          <span className="badge">{lower(interaction.type)}</span>{' '}
          <span className={`badge status-${interaction.status.toLowerCase()}`}>
            {lower(interaction.status)}
          </span>
          {interaction.escalationLevel > 0 ? (
            <span className="badge escalated"> escalation level {interaction.escalationLevel}</span>
          ) : null}
          {interaction.revision > 0 ? <span className="badge">revision {interaction.revision}</span> : null}
        </p>
        <dl className="facts">
          <dt>Asked</dt>
          <dd>
            <time dateTime={interaction.createdAt}>{age(interaction.createdAt)} ago</time>
          </dd>
          {interaction.deadline ? (
            <>
              <dt>Deadline</dt>
              <dd>
                <time dateTime={interaction.deadline} title={when(interaction.deadline)}>
                  {dueIn(interaction.deadline)}
                </time>
              </dd>
            </>
          ) : null}
          {interaction.slaBreachAt ? (
            <>
              <dt>SLA breach</dt>
              <dd>{dueIn(interaction.slaBreachAt)}</dd>
            </>
          ) : null}
          <dt>Assigned to</dt>
          <dd>
            {[...interaction.assignees.users, ...interaction.assignees.groups].join(', ') || 'any approver'}
          </dd>
          <dt>Run</dt>
          <dd>
            <a href={`/runs/${encodeURIComponent(interaction.runId)}`}>{interaction.runId}</a> · step{' '}
            {interaction.stepId}
          </dd>
        </dl>
      </header>
      {interaction.description && !toolCall ? <p>{interaction.description}</p> : null}
      {interaction.previousFeedback ? (
        <blockquote className="feedback">
          <strong>Changes requested last time:</strong> {interaction.previousFeedback}
        </blockquote>
      ) : null}
      {previous ? <Diff before={previous.context} after={interaction.context} /> : null}
      {interaction.type === 'CHAT' ? <ChatMessages interaction={interaction} onChanged={onAnswered} /> : null}
      {toolCall ? (
        <ToolCallFacts call={toolCall} />
      ) : (
        <section aria-label="Context">
          <h3>Context</h3>
          {interaction.context === null || interaction.context === undefined ? (
            <p className="help">No context.</p>
          ) : (
            <pre className="context">{json(interaction.context)}</pre>
          )}
          <p className="help">Sealed fields are removed before a request reaches the console.</p>
        </section>
      )}
      {!open ? (
        <p className="answered" role="status">
          Already answered
          {interaction.outcome
            ? `: ${lower(interaction.outcome.action)} by ${interaction.outcome.subject}${
                interaction.outcome.comment ? ` (“${interaction.outcome.comment}”)` : ''
              }`
            : ` (${lower(interaction.status)})`}
        </p>
      ) : null}
      {open && !session.canAnswer ? (
        <p className="help" role="note">
          Your key may read requests but not answer them.
        </p>
      ) : null}
      {controls}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </article>
  );
}
