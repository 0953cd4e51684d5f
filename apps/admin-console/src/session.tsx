/**
 * The admin key for this tab: kept in sessionStorage (gone when the tab closes), never in
 * localStorage or a cookie. A 401 from the API signs the tab out.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { createApi, type Api } from './api';

const STORAGE_KEY = 'trust-broker.admin-key';

interface Session {
  api: Api | null;
  /** An API client for a key not kept yet (to check it before signing in). */
  apiFor(key: string): Api;
  signIn(key: string): void;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

function storedKey(): string | null {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function SessionProvider({ children, fetcher }: { children: ReactNode; fetcher?: typeof fetch }) {
  const [key, setKey] = useState<string | null>(storedKey);
  const signOut = useCallback(() => {
    try {
      window.sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // storage unavailable: the key only lived in memory
    }
    setKey(null);
  }, []);
  const signIn = useCallback((value: string) => {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, value);
    } catch {
      // storage unavailable: keep the key in memory for this page only
    }
    setKey(value);
  }, []);
  const api = useMemo(() => (key === null ? null : createApi(key, signOut, fetcher)), [key, signOut, fetcher]);
  const apiFor = useCallback((candidate: string) => createApi(candidate, () => undefined, fetcher), [fetcher]);
  const session = useMemo(() => ({ api, apiFor, signIn, signOut }), [api, apiFor, signIn, signOut]);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The API of a signed-in page (the shell renders pages only when signed in). */
export function useApi(): Api {
  const { api } = useSession();
  if (api === null) throw new Error('useApi while signed out');
  return api;
}
