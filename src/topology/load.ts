import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Document, parseDocument } from 'yaml';
import { TopologyError } from './errors.js';
import { DEFAULT_STANZA, standbyNameFor, type Topology, type TopologyRegion } from './model.js';
import { schemaProblem, type TopologyFile } from './schema.js';

const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const STANDBY_NAME = /^[a-z0-9_]{1,63}$/;
/** What pgBackRest takes as a stanza: a section name of its configuration file. */
const STANZA_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Reads and checks a topology file; every problem is one line naming the file and the field. */
export function loadTopology(file: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TopologyError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a topology file' : (error as Error).message}`);
  }
  return parseTopology(text, file);
}

/** A topology from YAML text; `source` names it in errors. */
export function parseTopology(text: string, source: string): Topology {
  const doc = parseDocument(text, { uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const where = syntax.linePos?.[0];
    const what = (syntax.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new TopologyError(`${source}${where ? `:${where.line}:${where.col}` : ''}: not valid YAML (${what})`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) throw new TopologyError(`${source}: the file is empty; it needs at least regions`);
  if (typeof value !== 'object' || Array.isArray(value)) throw new TopologyError(`${source}: must be a mapping with regions (and optionally version, primary, replication)`);
  const problem = schemaProblem(value);
  if (problem) throw new TopologyError(`${source}: ${problem}`);
  return normalize(value as TopologyFile, (field, message) => new TopologyError(`${source}: ${field}: ${message}`));
}

function normalize(file: TopologyFile, fail: (field: string, message: string) => TopologyError): Topology {
  const regions: TopologyRegion[] = file.regions.map((r, i) => {
    const at = `regions[${i}]`;
    if (!REGION_NAME.test(r.name)) throw fail(`${at}.name`, `'${r.name}' must be letters, digits, '.', '_' or '-' (at most 63)`);
    const url = postgresUrl(r.postgres.url);
    if (typeof url === 'string') throw fail(`${at}.postgres.url`, url);
    const standbyName = r.postgres.standbyName ?? standbyNameFor(r.name);
    if (!STANDBY_NAME.test(standbyName)) throw fail(`${at}.postgres.standbyName`, `'${standbyName}' must be lower-case letters, digits or _ (at most 63)`);
    (r.nodes ?? []).forEach((node, n) => {
      if (!isHttpUrl(node)) throw fail(`${at}.nodes[${n}]`, `'${node}' is not an http:// or https:// URL`);
    });
    const restUrls = r.patroni?.restUrls ?? [];
    restUrls.forEach((restUrl, n) => {
      const field = `${at}.patroni.restUrls[${n}]`;
      if (!isHttpUrl(restUrl)) throw fail(field, `'${redact(restUrl)}' is not an http:// or https:// URL`);
      const url = new URL(restUrl);
      if (url.username !== '' || url.password !== '') throw fail(field, `'${redact(restUrl)}' must not carry a user or password: the GET endpoints read need none`);
      if (url.search !== '' || url.hash !== '' || url.pathname.replace(/\/+$/, '') !== '') throw fail(field, `'${restUrl}' must be the API's root (http://host:8008), without a path`);
      const first = restUrls.findIndex((other) => new URL(other).host === url.host);
      if (first !== n) throw fail(field, `'${restUrl}' is also ${at}.patroni.restUrls[${first}]`);
    });
    const stanza = r.pgbackrest?.stanza ?? DEFAULT_STANZA;
    if (!STANZA_NAME.test(stanza)) throw fail(`${at}.pgbackrest.stanza`, `'${stanza}' must be letters, digits, '.', '_' or '-' (at most 64)`);
    const backrestConfig = r.pgbackrest?.config;
    if (backrestConfig !== undefined && !path.isAbsolute(backrestConfig)) {
      throw fail(`${at}.pgbackrest.config`, `'${backrestConfig}' must be an absolute path (the file on the machine that runs dr backup-status)`);
    }
    const local = r.postgres.local;
    return {
      name: r.name,
      postgres: {
        url: r.postgres.url,
        standbyName,
        ...(r.postgres.primaryConninfo ? { primaryConninfo: r.postgres.primaryConninfo } : {}),
        ...(local ? { local: { ...local, port: local.port ?? Number(url.port || 5432) } } : {}),
      },
      nodes: r.nodes ?? [],
      ...(r.patroni ? { patroni: { restUrls: [...r.patroni.restUrls] } } : {}),
      ...(r.pgbackrest ? { pgbackrest: { stanza, ...(backrestConfig !== undefined ? { config: backrestConfig } : {}) } } : {}),
    };
  });
  for (const key of ['name', 'standbyName'] as const) {
    const seen = new Map<string, number>();
    regions.forEach((r, i) => {
      const value = key === 'name' ? r.name : r.postgres.standbyName;
      const first = seen.get(value);
      if (first !== undefined) throw fail(`regions[${i}].${key === 'name' ? 'name' : 'postgres.standbyName'}`, `'${value}' is also regions[${first}]'s`);
      seen.set(value, i);
    });
  }
  if (file.primary !== undefined && !regions.some((r) => r.name === file.primary)) {
    throw fail('primary', `'${file.primary}' is not one of the regions (${regions.map((r) => r.name).join(', ')})`);
  }
  const replication = file.replication;
  if (replication && replication.mode !== 'async' && replication.standbys < 1) throw fail('replication.standbys', `must be at least 1 for ${replication.mode} replication`);
  return {
    ...(file.primary !== undefined ? { primary: file.primary } : {}),
    ...(replication ? { replication: { mode: replication.mode, standbys: replication.mode === 'async' ? 0 : replication.standbys } } : {}),
    regions,
  };
}

/** The URL of one server, or why it is not one. */
function postgresUrl(text: string): URL | string {
  if (/^[a-z]+:\/\/[^/]*,/i.test(text)) return `'${redact(text)}' must name one server (host[:port]), not several`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `'${redact(text)}' is not a URL (postgres://user@host:port/database)`;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return `'${redact(text)}' must start with postgres:// or postgresql://`;
  if (url.hostname === '' || url.host.includes(',')) return `'${redact(text)}' must name one server (host[:port]), not several`;
  if (url.pathname.length <= 1) return `'${redact(text)}' names no database (postgres://user@host:port/verdict)`;
  return url;
}

/** A password in an error message would end up in logs. */
const redact = (text: string): string => text.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Writes a topology (atomically: a reader never sees half a file), in the order a person reads it. */
export function writeTopology(file: string, topology: Topology, comment?: string): void {
  const doc = new Document({
    version: 1,
    ...(topology.primary !== undefined ? { primary: topology.primary } : {}),
    ...(topology.replication ? { replication: { mode: topology.replication.mode, standbys: topology.replication.standbys } } : {}),
    regions: topology.regions.map((r) => ({
      name: r.name,
      postgres: {
        url: r.postgres.url,
        standbyName: r.postgres.standbyName,
        ...(r.postgres.primaryConninfo ? { primaryConninfo: r.postgres.primaryConninfo } : {}),
        ...(r.postgres.local ? { local: { ...r.postgres.local } } : {}),
      },
      nodes: [...r.nodes],
      ...(r.patroni ? { patroni: { restUrls: [...r.patroni.restUrls] } } : {}),
      ...(r.pgbackrest ? { pgbackrest: { ...r.pgbackrest } } : {}),
    })),
  });
  if (comment) doc.commentBefore = comment.split('\n').map((line) => ` ${line}`).join('\n');
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.toString({ lineWidth: 0 }));
  renameSync(tmp, file);
}
