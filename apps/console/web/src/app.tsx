import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { Inbox } from './inbox.js';
import { Link, usePath } from './router.js';
import { KEY_STORAGE, permissions, type Session, SessionContext, signIn } from './session.js';
import { SignIn } from './sign-in.js';

const Runs = lazy(() => import('./runs.js').then((m) => ({ default: m.Runs })));
const RunPage = lazy(() => import('./run-page.js').then((m) => ({ default: m.RunPage })));
const Segments = lazy(() => import('./segments.js').then((m) => ({ default: m.Segments })));
const Canvas = lazy(() => import('./canvas.js').then((m) => ({ default: m.Canvas })));
const Explorer = lazy(() => import('./explorer.js').then((m) => ({ default: m.Explorer })));

const NAV = [
  { href: '/', label: 'Inbox' },
  { href: '/runs', label: 'Runs' },
  { href: '/segments', label: 'Segments' },
  { href: '/canvas', label: 'Canvas' },
  { href: '/graphql', label: 'GraphQL' },
];

function section(path: string): string {
  const p = path.split('?')[0];
  if (p === '/' || p === '/inbox') return '/';
  return NAV.find((n) => n.href !== '/' && p.startsWith(n.href))?.href ?? '/';
}

function Page({ path }: { path: string }) {
  const p = path.split('?')[0];
  const run = /^\/runs\/([^/]+)$/.exec(p);
  if (run) return <RunPage runId={decodeURIComponent(run[1])} />;
  if (p === '/runs') return <Runs />;
  if (p.startsWith('/segments')) return <Segments path={p} />;
  if (p.startsWith('/canvas')) return <Canvas path={path} />;
  if (p === '/graphql') return <Explorer />;
  return <Inbox />;
}

/** The console: sign-in, then the inbox, runs, segments, canvas and GraphQL explorer. */
export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string>();
  const [restoring, setRestoring] = useState(() => !!sessionStorage.getItem(KEY_STORAGE));
  const path = usePath();

  const signOut = useCallback(() => {
    sessionStorage.removeItem(KEY_STORAGE);
    setSession((current) => {
      void current?.client.close();
      return null;
    });
  }, []);

  const start = useCallback(
    async (apiKey: string) => {
      try {
        const { client, viewer } = await signIn(apiKey);
        sessionStorage.setItem(KEY_STORAGE, apiKey);
        setError(undefined);
        setSession({ client, viewer, ...permissions(viewer), signOut });
      } catch (cause) {
        sessionStorage.removeItem(KEY_STORAGE);
        setError((cause as Error).message);
      }
    },
    [signOut],
  );

  useEffect(() => {
    const stored = sessionStorage.getItem(KEY_STORAGE);
    if (stored) void start(stored).finally(() => setRestoring(false));
  }, [start]);

  const current = section(path);
  const title = useMemo(() => NAV.find((n) => n.href === current)?.label ?? 'Inbox', [current]);
  useEffect(() => {
    document.title = `${title} · llmteam`;
  }, [title]);

  if (!session) {
    if (restoring) return <p className="empty">Signing in…</p>;
    return <SignIn onSignIn={start} error={error} />;
  }
  const { viewer } = session;
  return (
    <SessionContext.Provider value={session}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <strong className="brand">llmteam</strong>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={n.href === current ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="whoami">
          <span className="visually-hidden">Signed in as</span>
          <span className="subject">{viewer.subject}</span>
          <span className="tenant">tenant {viewer.tenantId}</span>
          <span className="roles">{viewer.roles.map((r) => r.toLowerCase()).join(', ')}</span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="empty">Loading…</p>}>
          <Page path={path} />
        </Suspense>
      </main>
    </SessionContext.Provider>
  );
}
