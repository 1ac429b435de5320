import { parseCluster, type PatroniCluster } from './cluster.js';
import { PatroniError } from './errors.js';

/**
 * A small client for the GET endpoints of Patroni's REST API (port 8008 by default), which need
 * no credentials. Every request is bounded: a member whose host is gone or frozen answers nothing,
 * and a caller must not hang on it (AbortSignal.timeout drops the request at the deadline).
 */
export interface PatroniRequestOptions {
  /** Per request; default 2000 ms. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2000;
/** `/cluster` of a few members is a few kB; a larger answer is not Patroni's. */
const MAX_BODY_BYTES = 1024 * 1024;

/** `http://10.0.1.11:8008/` -> `http://10.0.1.11:8008`: endpoints are appended to it. */
export const restBase = (restUrl: string): string => restUrl.replace(/\/+$/, '');

/** How a member is named in errors: host and port only (no path, never credentials). */
export function memberLabel(restUrl: string): string {
  try {
    return new URL(restUrl).host;
  } catch {
    return 'an invalid Patroni REST URL';
  }
}

async function get(restUrl: string, endpoint: string, options: PatroniRequestOptions): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    return await fetch(`${restBase(restUrl)}${endpoint}`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (error) {
    const name = (error as Error).name;
    const why = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : causeOf(error);
    throw new PatroniError(`Patroni at ${memberLabel(restUrl)}: GET ${endpoint}: ${why}`);
  }
}

/** `fetch failed` says nothing; its cause says ECONNREFUSED and the like. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

async function readJson(response: Response, restUrl: string, endpoint: string): Promise<unknown> {
  const label = `Patroni at ${memberLabel(restUrl)}: GET ${endpoint}`;
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel();
    throw new PatroniError(`${label}: answer of ${declared} bytes is too large`);
  }
  const text = await response.text();
  if (text.length > MAX_BODY_BYTES) throw new PatroniError(`${label}: answer is too large`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PatroniError(`${label}: answered ${response.status} without JSON`);
  }
}

/** `GET /cluster`: members, roles, state, lag, timeline, as the member's view of the DCS has them. */
export async function getCluster(restUrl: string, options: PatroniRequestOptions = {}): Promise<PatroniCluster> {
  const response = await get(restUrl, '/cluster', options);
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new PatroniError(`Patroni at ${memberLabel(restUrl)}: GET /cluster answered ${response.status}`);
  }
  return parseCluster(await readJson(response, restUrl, '/cluster'), `Patroni at ${memberLabel(restUrl)}`);
}

export interface LeaderAnswer {
  readonly restUrl: string;
  /** 200: this member holds the leader lock (as primary, or as the standby leader of a standby cluster). */
  readonly leader: boolean;
  readonly status: number;
}

/**
 * `GET /leader`: only the status code counts (200 holds the leader lock, 503 does not). Unlike
 * `/primary`, the standby leader of a standby cluster answers 200 too.
 */
export async function getLeaderStatus(restUrl: string, options: PatroniRequestOptions = {}): Promise<LeaderAnswer> {
  const response = await get(restUrl, '/leader', options);
  await response.body?.cancel();
  if (response.status !== 200 && response.status !== 503) {
    throw new PatroniError(`Patroni at ${memberLabel(restUrl)}: GET /leader answered ${response.status}, not 200 or 503 (is this Patroni's REST API?)`);
  }
  return { restUrl, leader: response.status === 200, status: response.status };
}

export interface ClusterAnswer {
  readonly restUrl: string;
  readonly cluster: PatroniCluster;
}

/**
 * `/cluster` from the first of `restUrls` that answers (all are asked at once: every member reads
 * the same DCS, so any answer will do). Fails only when none answers, naming why for each.
 */
export async function getClusterFromAny(restUrls: readonly string[], options: PatroniRequestOptions = {}): Promise<ClusterAnswer> {
  if (restUrls.length === 0) throw new PatroniError('no Patroni REST URL to ask');
  try {
    return await Promise.any(restUrls.map(async (restUrl) => ({ restUrl, cluster: await getCluster(restUrl, options) })));
  } catch (error) {
    const reasons = (error as AggregateError).errors.map((e) => (e as Error).message);
    throw new PatroniError(`no Patroni member answered /cluster: ${reasons.join('; ')}`);
  }
}

/**
 * Asks every member's `/leader` at once and returns those answering 200 (normally one; two only
 * in the moment an old leader has not yet noticed its lock expired) and the members that did not
 * answer at all, with why.
 */
export async function findLeaders(
  restUrls: readonly string[],
  options: PatroniRequestOptions = {},
): Promise<{ readonly leaders: readonly string[]; readonly unreachable: readonly { readonly restUrl: string; readonly error: string }[] }> {
  const answers = await Promise.allSettled(restUrls.map((url) => getLeaderStatus(url, options)));
  const leaders: string[] = [];
  const unreachable: { restUrl: string; error: string }[] = [];
  answers.forEach((answer, i) => {
    if (answer.status === 'fulfilled') {
      if (answer.value.leader) leaders.push(answer.value.restUrl);
    } else unreachable.push({ restUrl: restUrls[i]!, error: (answer.reason as Error).message });
  });
  return { leaders, unreachable };
}

/** Basic-auth credentials of Patroni's unsafe endpoints (`restapi.authentication`), as `user:password`. */
export type PatroniAuth = string;

/**
 * `PATCH /config` on one member: merges `changes` into the cluster's dynamic configuration in the
 * DCS (a `null` removes a key, as `patronictl edit-config -s key=null` does), which every member
 * applies in its next loop. Returns the configuration Patroni answered with.
 */
export async function patchConfig(restUrl: string, changes: Record<string, unknown>, auth: PatroniAuth | undefined, options: PatroniRequestOptions = {}): Promise<Record<string, unknown>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Response;
  try {
    response = await fetch(`${restBase(restUrl)}/config`, {
      method: 'PATCH',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}),
      },
      body: JSON.stringify(changes),
    });
  } catch (error) {
    const name = (error as Error).name;
    throw new PatroniError(`Patroni at ${memberLabel(restUrl)}: PATCH /config: ${name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : causeOf(error)}`);
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw new PatroniError(`Patroni at ${memberLabel(restUrl)}: PATCH /config answered ${response.status}: set VERDICT_PATRONI_AUTH to the REST API's user:password (restapi.authentication)`);
  }
  const body = await readJson(response, restUrl, '/config');
  if (response.status !== 200) throw new PatroniError(`Patroni at ${memberLabel(restUrl)}: PATCH /config answered ${response.status}`);
  return body as Record<string, unknown>;
}

/** `GET /primary` is 200: this member holds the leader lock and runs as a primary (not a standby leader). */
export async function isPrimary(restUrl: string, options: PatroniRequestOptions = {}): Promise<boolean> {
  const response = await get(restUrl, '/primary', options);
  await response.body?.cancel();
  return response.status === 200;
}
