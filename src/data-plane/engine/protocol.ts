import type { JdmDocument } from '../../lib/jdm.js';

/**
 * Messages between a node and its engine hosts (child processes running zen-engine). Messages
 * travel in arrays: each side coalesces what it sends in one turn of its event loop into one
 * write, which keeps the hop cheap under concurrency (measured: the same throughput as
 * in-process zen at 50 concurrent evaluations, and a tenth of the node's CPU per evaluation).
 */
export type ToHost =
  | { readonly t: 'load'; readonly id: number; readonly ns: string; readonly decisions: readonly { readonly key: string; readonly content: JdmDocument }[] }
  | { readonly t: 'unload'; readonly ns: string }
  | { readonly t: 'eval'; readonly id: number; readonly ns: string; readonly key: string; readonly context: unknown; readonly trace: boolean }
  | { readonly t: 'batch'; readonly id: number; readonly ns: string; readonly key: string; readonly contexts: readonly unknown[]; readonly trace: boolean }
  | { readonly t: 'check'; readonly id: number; readonly items: readonly ExpressionCheck[] }
  | { readonly t: 'loadable'; readonly id: number; readonly content: JdmDocument };

export interface ExpressionCheck {
  readonly kind: 'standard' | 'unary';
  readonly expression: string;
}

export type FromHost =
  | { readonly t: 'ready' }
  | { readonly t: 'ok'; readonly id: number; readonly value: unknown; readonly http?: HttpCalls }
  | { readonly t: 'error'; readonly id: number; readonly error: string; readonly http?: HttpCalls };

/** Outbound HTTP calls function nodes made while serving one message. */
export interface HttpCalls {
  readonly allowed: number;
  readonly denied: number;
}

/** The engine's answer to one evaluation, as zen-engine gives it. */
export interface EngineResponse {
  readonly result: unknown;
  readonly performance: string;
  readonly trace?: unknown;
}

export type BatchItem = { readonly ok: true; readonly response: EngineResponse } | { readonly ok: false; readonly error: string };

/**
 * What checking one expression found: it compiles, it does not (the engine's parser message), or
 * nothing came back within the time limit / the engine died on it (the node decides which).
 */
export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** Options a host is started with (passed as one JSON argument). */
export interface HostOptions {
  readonly allowHosts: readonly string[];
  /** zen's own limit for function nodes (QuickJS interrupt), kept within the evaluation deadline. */
  readonly functionTimeoutMs: number;
}

/** Lines a host writes to its progress pipe (fd 4) while checking expressions synchronously. */
export const PROGRESS_FD = 4;
