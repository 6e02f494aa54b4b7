import type { Interaction } from '@llmteam/client';
import { useEffect, useId, useState } from 'react';
import { when } from './format.js';
import { useSession } from './session.js';

/** The messages of a chat request, oldest first. */
export function messagesOf(interaction: Interaction): Array<{ by: string; text: string; at: string }> {
  return interaction.responses
    .filter((r) => r.action === 'message')
    .map((r) => ({
      by: r.subject,
      text: typeof r.value === 'string' ? r.value : (r.comment ?? ''),
      at: r.at,
    }));
}

/** The conversation so far, kept current from the run's events (other people's messages too). */
export function ChatMessages({
  interaction,
  onChanged,
}: {
  interaction: Interaction;
  onChanged: (interaction: Interaction) => void;
}) {
  const { client } = useSession();
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow this request's run; onChanged may change every render
  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      try {
        for await (const event of client.watchRun(interaction.runId, {
          afterSeq: 0,
          progress: false,
          signal: controller.signal,
        })) {
          const data = (event.data ?? {}) as { interaction_id?: string };
          if (event.type !== 'interaction.responded' || data.interaction_id !== interaction.id) continue;
          // Open requests of the run first (cheap); a closed one comes with the run.
          const found =
            (await client.interactions({ runId: interaction.runId })).find((i) => i.id === interaction.id) ??
            (await client.run(interaction.runId))?.interactions.find((i) => i.id === interaction.id);
          if (found && !controller.signal.aborted) onChanged(found);
        }
      } catch {
        // Live updates of a conversation are a convenience: the panel still answers without them.
      }
    })();
    return () => controller.abort();
  }, [client, interaction.id, interaction.runId]);

  const messages = messagesOf(interaction);
  return (
    <section aria-label="Conversation">
      <h3>Conversation</h3>
      {messages.length ? (
        <ol className="chat" aria-live="polite">
          {messages.map((m) => (
            <li key={`${m.at}-${m.by}-${m.text}`} className="chat-message">
              <span className="chat-by">{m.by}</span>{' '}
              <time className="help" dateTime={m.at}>
                {when(m.at)}
              </time>
              <p>{m.text}</p>
            </li>
          ))}
        </ol>
      ) : (
        <p className="help">No messages yet.</p>
      )}
    </section>
  );
}

/** Props of {@link ChatControls}. */
export interface ChatControlsProps {
  interaction: Interaction;
  busy: boolean;
  send: (action: () => Promise<Interaction>) => void;
}

/** Write a message (the request stays open), end the conversation, or refuse it. */
export function ChatControls({ interaction, busy, send }: ChatControlsProps) {
  const { client } = useSession();
  const id = useId();
  const [text, setText] = useState('');
  const [note, setNote] = useState<string>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new request starts with an empty box
  useEffect(() => {
    setText('');
    setNote(undefined);
  }, [interaction.id]);

  return (
    <form
      className="answer chat-answer"
      onSubmit={(event) => {
        event.preventDefault();
        if (!text.trim()) {
          setNote('Write a message first.');
          return;
        }
        setNote(undefined);
        const message = text;
        setText('');
        send(() => client.sendMessage(interaction.id, message));
      }}
    >
      <div className="field">
        <label htmlFor={`${id}-message`}>Message</label>
        <textarea
          id={`${id}-message`}
          rows={3}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            // Enter sends, Shift+Enter starts a new line (as in chat apps).
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              e.currentTarget.form?.requestSubmit();
            }
          }}
        />
      </div>
      {note ? (
        <p className="error" role="alert">
          {note}
        </p>
      ) : null}
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>
          Send
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => send(() => client.closeChat(interaction.id, text.trim() || undefined))}
        >
          End conversation
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={() => send(() => client.reject(interaction.id, text.trim() || undefined))}
        >
          Refuse
        </button>
      </div>
    </form>
  );
}
