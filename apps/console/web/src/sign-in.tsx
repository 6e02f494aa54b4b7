import { type FormEvent, useState } from 'react';

/** Props of {@link SignIn}. */
export interface SignInProps {
  onSignIn: (apiKey: string) => Promise<void>;
  /** Why the last attempt (or the stored key) failed. */
  error?: string;
}

/** Asks for an API key; it is kept in this tab's session storage only. */
export function SignIn({ onSignIn, error }: SignInProps) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!key.trim()) return;
    setBusy(true);
    try {
      await onSignIn(key.trim());
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-heading">
        <h1 id="sign-in-heading">Sign in to llmteam</h1>
        <p className="help">
          Paste an API key. It stays in this browser tab (session storage) and is sent only to this gateway.
        </p>
        <div className="field">
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="llmt_…"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={!!error}
            aria-describedby={error ? 'sign-in-error' : undefined}
            required
          />
        </div>
        {error ? (
          <p id="sign-in-error" className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
