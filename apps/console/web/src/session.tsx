import { createLlmteamClient, type LlmteamClient, type Viewer } from '@llmteam/client';
import { createContext, useContext } from 'react';

/** The session storage key of the API key: per tab, gone when the tab closes, never in a URL. */
export const KEY_STORAGE = 'llmteam.apiKey';

/** A signed-in console session. */
export interface Session {
  client: LlmteamClient;
  viewer: Viewer;
  /** May answer requests (approver or admin; operators run things but do not approve them). */
  canAnswer: boolean;
  /** May start, cancel, pause, resume and fork runs and save segments. */
  canOperate: boolean;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

/** A client for the gateway that served this page. */
export function clientFor(apiKey: string): LlmteamClient {
  const url = `${window.location.origin}/graphql`;
  return createLlmteamClient({ url, apiKey, wsUrl: url.replace(/^http/, 'ws') });
}

/** Checks a key against the gateway and returns who it belongs to. */
export async function signIn(apiKey: string): Promise<{ client: LlmteamClient; viewer: Viewer }> {
  const client = clientFor(apiKey);
  try {
    return { client, viewer: await client.viewer() };
  } catch (error) {
    await client.close();
    throw error;
  }
}

export function permissions(viewer: Viewer): { canAnswer: boolean; canOperate: boolean } {
  const roles = new Set(viewer.roles);
  return {
    canAnswer: roles.has('ADMIN') || roles.has('APPROVER'),
    canOperate: roles.has('ADMIN') || roles.has('OPERATOR'),
  };
}
