import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createClient } from 'graphql-ws';
import { useEffect, useState } from 'react';
import 'graphiql/style.css';
import { KEY_STORAGE } from './session.js';

const EXAMPLE = `# Queries, mutations and subscriptions run with your key (Ctrl+Enter runs them).
query Inbox {
  viewer { subject tenantId roles groups }
  inbox(first: 5) { items { id title type priority deadline } hasMore }
  openInteractionCount
}

# Live requests: pick this operation and run it, then start a run that asks a person.
subscription Requests {
  interactionRequested { id title type priority }
}
`;

/**
 * GraphiQL's tabs and history in this tab's session storage, under its own `graphiql:`
 * names: its "clear storage" setting must not remove the signed-in key.
 */
const graphiqlStorage = {
  getItem: (key: string) => sessionStorage.getItem(key),
  setItem: (key: string, value: string) => sessionStorage.setItem(key, value),
  removeItem: (key: string) => sessionStorage.removeItem(key),
  get length() {
    return Object.keys(sessionStorage).filter((k) => k.startsWith('graphiql:')).length;
  },
  clear() {
    for (const k of Object.keys(sessionStorage)) if (k.startsWith('graphiql:')) sessionStorage.removeItem(k);
  },
};

/**
 * The GraphiQL explorer (bundled, no CDN) for the signed-in user: HTTP requests and
 * graphql-ws subscriptions on this origin's `/graphql` with the session's key, which is
 * read from session storage and never put in a URL or in GraphiQL's saved headers. It
 * follows the system's light or dark theme, as the rest of the console does.
 */
export function Explorer() {
  const [fetcher, setFetcher] = useState<Fetcher>();
  useEffect(() => {
    const key = sessionStorage.getItem(KEY_STORAGE) ?? '';
    const url = `${window.location.origin}/graphql`;
    const authorization = `Bearer ${key}`;
    const wsClient = createClient({
      url: url.replace(/^http/, 'ws'),
      connectionParams: { authorization },
      lazy: true,
    });
    setFetcher(() => createGraphiQLFetcher({ url, headers: { authorization }, wsClient }));
    return () => {
      void wsClient.dispose();
    };
  }, []);
  if (!fetcher) return <p className="empty">Loading…</p>;

  return (
    <div className="graphiql-host" data-testid="graphiql">
      <h1 className="visually-hidden">GraphQL explorer</h1>
      <GraphiQL
        fetcher={fetcher}
        defaultQuery={EXAMPLE}
        storage={graphiqlStorage}
        forcedTheme="system"
        shouldPersistHeaders={false}
      />
    </div>
  );
}
