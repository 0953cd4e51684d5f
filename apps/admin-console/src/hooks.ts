import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change and on reload(); an answer that arrives late is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => ticket === latest.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => ticket === latest.current && setState({ data: undefined, error, loading: false }),
    );
  }, [...deps, round]);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  return { ...state, reload };
}

export interface CursorPages {
  /** The cursor of the page shown (null: the first). */
  cursor: string | null;
  isFirst: boolean;
  previous(): void;
  next(cursor: string): void;
  reset(): void;
}

/** Where a list is in its pages (`next_cursor` of CONTRACT.md's lists), and the way back. */
export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors[cursors.length - 1] ?? null,
    isFirst: cursors.length === 1,
    previous: () => setCursors((current) => current.slice(0, -1)),
    next: (cursor) => setCursors((current) => [...current, cursor]),
    reset: () => setCursors([null]),
  };
}

/**
 * A page's buttons (Disable, Refresh keys, ...): which one is running, what the last one
 * failed with, and `after` once each is done, failed or not (reload what it may have changed).
 */
export function useAction(after: () => void) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const act = async (label: string, run: () => Promise<unknown>) => {
    setBusy(label);
    setError(undefined);
    try {
      await run();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
      after();
    }
  };
  return { busy, error, act };
}
