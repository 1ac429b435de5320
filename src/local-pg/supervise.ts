import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalPgCluster } from './cluster.js';

export interface SupervisorHooks {
  readonly log: (message: string) => void;
  readonly warn: (message: string) => void;
  /** The postmaster is gone for good: the owner should exit so that a supervisor restarts it. */
  readonly onFatal: (error: Error) => void;
}

export interface Supervisor {
  /** Stops watching (and waits for a restart under way), before the cluster is stopped on purpose. */
  stop(): Promise<void>;
}

const CHECK_INTERVAL_MS = 500;
/** Restarts allowed within RESTART_WINDOW_MS; more means something keeps killing it. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10 * 60_000;
/**
 * Backends of the dead postmaster hold its shared memory for a moment: a start may be refused until
 * they exit. That moment is long on a busy machine, so retries are bounded by time, not by count.
 */
const START_TRYING_MS = 30_000;
const START_RETRY_MS = 500;

/**
 * Watches the embedded cluster's postmaster and starts it again when it exits without being asked
 * to (OOM killer, a crash, a stray kill): a node whose database is gone would otherwise answer
 * every management call with 503 until someone restarts it. Restarts are bounded; past that, or
 * when it cannot come back on the same port (the URL every pool uses), `onFatal` is called.
 */
export function superviseCluster(cluster: LocalPgCluster, hooks: SupervisorHooks): Supervisor {
  const port = cluster.port;
  let pid = cluster.runningPid();
  let stopped = false;
  let restarting: Promise<void> | undefined;
  let restarts: number[] = [];

  const fatal = (message: string) => {
    stopped = true;
    clearInterval(timer);
    hooks.onFatal(new Error(message));
  };

  const restart = async () => {
    const now = Date.now();
    restarts = restarts.filter((at) => now - at < RESTART_WINDOW_MS);
    if (restarts.length >= MAX_RESTARTS) {
      fatal(`embedded PostgreSQL (pid ${pid}) exited again after ${MAX_RESTARTS} restarts within ${RESTART_WINDOW_MS / 60_000} minutes; see ${cluster.logFile}`);
      return;
    }
    restarts.push(now);
    hooks.warn(`embedded PostgreSQL (pid ${pid}) exited unexpectedly; restarting it (restart ${restarts.length} of at most ${MAX_RESTARTS} within ${RESTART_WINDOW_MS / 60_000} minutes)`);
    const giveUpAt = Date.now() + START_TRYING_MS;
    for (;;) {
      if (stopped) return;
      try {
        await cluster.start();
        break;
      } catch (error) {
        // A postmaster an earlier attempt started may have come up after that attempt gave up on
        // it: one that is ready on this directory is ours to keep, not a reason to fail.
        if (cluster.readyPid() !== undefined && cluster.adoptRunning() !== undefined) break;
        if (Date.now() >= giveUpAt) {
          fatal(`embedded PostgreSQL exited and could not be started again: ${(error as Error).message.split('\n')[0]}; see ${cluster.logFile}`);
          return;
        }
        await sleep(START_RETRY_MS);
      }
    }
    if (cluster.port !== port) {
      await cluster.stop('fast').catch(() => undefined);
      fatal(`embedded PostgreSQL could not get its port ${port} back after it exited (another program took it)`);
      return;
    }
    pid = cluster.runningPid();
    hooks.log(`embedded PostgreSQL restarted (pid ${pid}) listening on ${cluster.host}:${port}`);
  };

  const timer = setInterval(() => {
    if (stopped || restarting || cluster.runningPid() !== undefined) return;
    restarting = restart()
      .catch((error: unknown) => fatal(`embedded PostgreSQL exited and restarting it failed: ${(error as Error).message}`))
      .finally(() => (restarting = undefined));
  }, CHECK_INTERVAL_MS);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await restarting;
    },
  };
}
