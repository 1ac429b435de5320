import type { Logger } from 'pino';
import { AppError } from '../../errors.js';
import { HostGone } from './host-errors.js';
import type { Sent } from './lane.js';
import type { CheckResult, ExpressionCheck } from './protocol.js';

/** A check request whose expressions keep stopping hosts gives up on the rest after this many. */
const MAX_CHECK_KILLS = 3;
/** How many deadlines an expression may wait for CPU on a busy machine before the save is told to retry. */
const STARVED_CAP_FACTOR = 10;

export interface CheckDeps {
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** A host of the isolated lane, to itself (it runs nothing else meanwhile). */
  dispatch(): Promise<Sent>;
  done(sent: Sent): void;
}

/**
 * Save-time expression checks: the engine has no parse-only call, so the host evaluates each
 * expression against an empty context, synchronously and one after another, writing the index of
 * the one it starts to a pipe first. When one never returns (no progress for the deadline) or
 * kills the host, the node knows which it was, reports it, and checks the rest on a new host.
 * "Never returns" means it used the deadline's worth of CPU; starved of CPU, the save is told to retry.
 */
export async function checkExpressions(items: readonly ExpressionCheck[], deps: CheckDeps): Promise<CheckResult[]> {
  const results = new Array<CheckResult>(items.length);
  let todo = items.map((_, i) => i);
  let kills = 0;
  while (todo.length > 0) {
    if (kills >= MAX_CHECK_KILLS) {
      // The graph is refused for the problems found; checking on would cost a deadline each.
      for (const i of todo) results[i] = { ok: true };
      break;
    }
    const sent = await deps.dispatch();
    const host = sent.host;
    host.progress = -1;
    host.progressAt = Date.now();
    let starved = false;
    // The deadline counts the engine's CPU, as a graph load's does (load-deadline.ts): the isolated
    // lane runs at lower priority, and on a busy machine 'a * 2' must not be refused as endless.
    const watchdog = setInterval(() => {
      const now = Date.now();
      host.sampleCpu(now);
      const waited = now - host.progressAt;
      if (waited <= deps.timeoutMs) return;
      const used = host.cpuSince(host.progressAt);
      if (used === undefined || used >= deps.timeoutMs / 2) host.stop('deadline');
      else if (waited >= deps.timeoutMs * STARVED_CAP_FACTOR) {
        starved = true;
        host.stop('deadline');
      }
    }, Math.max(10, Math.min(100, Math.floor(deps.timeoutMs / 10))));
    try {
      const answers = await host.request<CheckResult[]>({ t: 'check', items: todo.map((i) => items[i]!) }, sent.handle);
      todo.forEach((i, j) => (results[i] = answers[j]!));
      todo = [];
    } catch (error) {
      if (!(error instanceof HostGone) || error.stoppedFor === 'shutdown') throw error;
      if (starved) {
        throw new AppError('not-ready', `the machine is too busy to check this graph's expressions (no CPU for the engine in ${(deps.timeoutMs * STARVED_CAP_FACTOR) / 1000} s); retry shortly`);
      }
      kills++;
      const failed = host.progress;
      if (failed < 0 || failed >= todo.length) continue; // died before it began: again, on a new host
      const index = todo[failed]!;
      deps.logger.warn({ expression: items[index]!.expression.slice(0, 200), reason: error.exit }, 'an expression stopped an engine host during checks');
      results[index] = {
        ok: false,
        error:
          error.stoppedFor === 'deadline'
            ? `it runs longer than ${deps.timeoutMs} ms even with no input (VERDICT_EVAL_TIMEOUT_MS), so every evaluation would time out`
            : `evaluating it crashed the engine (${error.exit}); simplify it`,
      };
      // The answers before it were lost with the host: those are checked again (they were quick).
      todo = todo.filter((_, j) => j !== failed);
    } finally {
      clearInterval(watchdog);
      deps.done(sent);
    }
  }
  return results;
}
