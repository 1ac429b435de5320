import { useEffect, useState } from 'react';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';

export type RegionsView = paths['/api/regions']['get']['responses'][200]['content']['application/json'];
export type ServerView = RegionsView['servers'][number];
export type RegionView = RegionsView['regions'][number];

/** One lag sample of a standby. */
export interface LagPoint {
  readonly at: number;
  readonly seconds: number | null;
  readonly bytes: number | null;
}

export interface RegionsFeed {
  readonly view: RegionsView | undefined;
  /** The last HISTORY lag samples per server address, oldest first. */
  readonly history: ReadonlyMap<string, readonly LagPoint[]>;
  /** live: pushed by the event stream; polling: the stream was refused; connecting: (re)connecting. */
  readonly mode: 'connecting' | 'live' | 'polling';
  readonly error: string | undefined;
}

/** Samples kept per standby: two minutes at one picture every ~2 s. */
export const HISTORY = 60;
const POLL_MS = 3000;

/** The next history: a sample per server that has a lag figure, once per picture (polling may see one twice). */
function appendLag(history: ReadonlyMap<string, readonly LagPoint[]>, view: RegionsView): Map<string, readonly LagPoint[]> {
  const at = Date.parse(view.at);
  const next = new Map<string, readonly LagPoint[]>();
  for (const server of view.servers) {
    const before = history.get(server.address) ?? [];
    if (server.role !== 'standby' && before.length === 0) continue;
    if (before.at(-1)?.at === at) {
      next.set(server.address, before);
      continue;
    }
    // An unreachable standby has no lag to show: a gap (null), not a zero.
    next.set(server.address, [...before, { at, seconds: server.replayLagSeconds, bytes: server.replayLagBytes }].slice(-HISTORY));
  }
  return next;
}

/**
 * The regions picture, live: one EventSource on /api/regions/events (the session cookie
 * authenticates it; the browser reconnects by itself when a stream ends). When the server refuses
 * the stream (too many open, or no EventSource at all), the screen polls the one endpoint instead:
 * never one request per widget.
 */
export function useRegionsFeed(): RegionsFeed {
  const [feed, setFeed] = useState<RegionsFeed>({ view: undefined, history: new Map(), mode: 'connecting', error: undefined });

  useEffect(() => {
    let stopped = false;
    let poll: number | undefined;
    const accept = (view: RegionsView, mode: RegionsFeed['mode']) => {
      if (!stopped) setFeed((prev) => ({ view, mode, history: appendLag(prev.history, view), error: undefined }));
    };
    const startPolling = () => {
      if (poll !== undefined || stopped) return;
      const tick = async () => {
        try {
          accept(unwrap(await api.GET('/api/regions')), 'polling');
        } catch (error) {
          if (!stopped) setFeed((prev) => ({ ...prev, mode: 'polling', error: (error as Error).message }));
        }
      };
      void tick();
      poll = window.setInterval(() => void tick(), POLL_MS);
    };

    let source: EventSource | undefined;
    if (typeof EventSource === 'function') {
      const events = new EventSource('/api/regions/events');
      source = events;
      events.addEventListener('regions', (event) => accept(JSON.parse((event as MessageEvent<string>).data) as RegionsView, 'live'));
      events.onerror = () => {
        // CLOSED: refused outright (503, 401); otherwise the browser is reconnecting by itself.
        if (events.readyState === EventSource.CLOSED) {
          events.close();
          startPolling();
        } else if (!stopped) {
          setFeed((prev) => ({ ...prev, mode: 'connecting' }));
        }
      };
    } else {
      startPolling();
    }
    return () => {
      stopped = true;
      source?.close();
      if (poll !== undefined) window.clearInterval(poll);
    };
  }, []);

  return feed;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '–';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '–';
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(0)} s`;
}
