import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../local-pg/pids.js';
import { LabError, nodeUrl, type LabNode } from './state.js';

const VERDICT_BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));

/**
 * Starts one Verdict node (`verdict serve`) as a detached process that outlives this command; its
 * output goes to its log file. Returns the pid.
 */
export function spawnNode(node: LabNode, env: Readonly<Record<string, string>>, netns?: string): number {
  mkdirSync(node.dataDir, { recursive: true });
  mkdirSync(path.dirname(node.logFile), { recursive: true });
  const log = openSync(node.logFile, 'a');
  try {
    // In a namespace, nsenter execs node in it: the pid is still the node's.
    const [command, args] = netns === undefined ? [process.execPath, [VERDICT_BIN, 'serve']] : ['nsenter', [`--net=/run/netns/${netns}`, '--', process.execPath, VERDICT_BIN, 'serve']];
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { PATH: process.env.PATH ?? '', ...env, HOST: node.host ?? '127.0.0.1', PORT: String(node.port), VERDICT_DATA_DIR: node.dataDir },
    });
    child.unref();
    if (child.pid === undefined) throw new LabError(`could not start node ${node.id}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Waits until the node answers /health/ready with 200, or fails naming its log. */
export async function waitForNode(node: LabNode, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (node.pid !== null && !isAlive(node.pid)) throw new LabError(`node ${node.id} exited during start-up; see ${node.logFile}`);
    const ready = await fetch(`${nodeUrl(node)}/health/ready`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new LabError(`node ${node.id} was not ready within ${timeoutMs} ms; see ${node.logFile}`);
    await sleep(100);
  }
}

/** Stops a process by pid: SIGTERM and a grace period, or SIGKILL at once (`immediate`). */
export async function stopPid(pid: number | null, mode: 'graceful' | 'immediate', graceMs = 10_000): Promise<void> {
  if (pid === null || !isAlive(pid)) return;
  try {
    process.kill(pid, mode === 'immediate' ? 'SIGKILL' : 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await sleep(50);
      return;
    }
    await sleep(25);
  }
}
