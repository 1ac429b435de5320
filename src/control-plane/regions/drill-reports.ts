import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { notFound } from '../../errors.js';
import type { DrillSummary } from './schemas.js';

/** A report's name: its file name without `.html`; no separators, no leading dot. */
export const REPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/;

/** The newest reports listed; older ones stay on disk, unlisted. */
const LISTED = 50;
/** A drill's JSON report is tens of kilobytes; anything far larger is not one. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;
const MAX_HTML_BYTES = 8 * 1024 * 1024;

/**
 * The strictest policy the drill's page can be shown under: it is self-contained (`drillHtml`: an
 * inline stylesheet and an inline SVG, no script, no external asset), so nothing may load, nothing
 * may run (`sandbox` without `allow-scripts` also gives the page an opaque origin, away from the
 * API's cookies), and it is never framed.
 */
export const DRILL_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";

export interface DrillListing {
  readonly reports: DrillSummary[];
  readonly error: string | null;
}

interface Cached {
  readonly key: string;
  readonly summary: DrillSummary;
}

/**
 * The drill reports in a folder: every `<name>.html` that `verdict dr drill --html` (or a drill on
 * a lab, into `<lab>/drills`) wrote, with the verdict, RPO and RTO read from the `<name>.json`
 * report next to it. Summaries are kept per file size and time, so listing every ~2 s reads only
 * new or changed reports.
 */
export class DrillReports {
  readonly #cache = new Map<string, Cached>();
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  async list(): Promise<DrillListing> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // No drill has written there yet: an empty list, not an error.
      if (code === 'ENOENT') return { reports: [], error: null };
      return { reports: [], error: `cannot read the drill report folder (${code ?? (error as Error).message})` };
    }
    const pages = names.filter((n) => n.endsWith('.html') && REPORT_NAME.test(n.slice(0, -5))).map((n) => n.slice(0, -5));
    const summaries = await Promise.all(pages.map((name) => this.#summary(name, names.includes(`${name}.json`))));
    const listed = summaries.filter((s): s is DrillSummary & { sortKey: string } => s !== undefined).sort((a, b) => b.sortKey.localeCompare(a.sortKey));
    for (const name of this.#cache.keys()) if (!pages.includes(name)) this.#cache.delete(name);
    return { reports: listed.slice(0, LISTED).map(({ sortKey: _sortKey, ...summary }) => summary), error: null };
  }

  /** A report's page, or 404: only regular files named as listed, inside the folder, are served. */
  async page(name: string): Promise<Buffer> {
    if (!REPORT_NAME.test(name)) throw notFound(`no drill report '${name}'`);
    const file = path.join(this.dir, `${name}.html`);
    const info = await lstat(file).catch(() => undefined);
    // lstat: a symbolic link is not a regular file, so a link in the folder cannot point elsewhere.
    if (!info?.isFile() || path.dirname(file) !== this.dir) throw notFound(`no drill report '${name}'`);
    if (info.size > MAX_HTML_BYTES) throw notFound(`the drill report '${name}' is larger than ${MAX_HTML_BYTES} bytes`);
    return readFile(file);
  }

  async #summary(name: string, hasJson: boolean): Promise<(DrillSummary & { sortKey: string }) | undefined> {
    const html = await lstat(path.join(this.dir, `${name}.html`)).catch(() => undefined);
    if (!html?.isFile()) return undefined;
    const json = hasJson ? await lstat(path.join(this.dir, `${name}.json`)).catch(() => undefined) : undefined;
    const key = `${html.mtimeMs}:${json?.isFile() ? `${json.mtimeMs}:${json.size}` : '-'}`;
    let cached = this.#cache.get(name);
    if (cached?.key !== key) {
      const report = json?.isFile() && json.size <= MAX_JSON_BYTES ? await readFile(path.join(this.dir, `${name}.json`), 'utf8').then(parseJson, () => undefined) : undefined;
      cached = { key, summary: summarize(name, report) };
      this.#cache.set(name, cached);
    }
    return { ...cached.summary, sortKey: cached.summary.startedAt ?? html.mtime.toISOString() };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const at = (value: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
const text = (value: unknown): string | null => (typeof value === 'string' ? value.slice(0, 200) : null);
const number = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const integer = (value: unknown): number | null => (Number.isInteger(value) ? (value as number) : null);

/** What the list shows of a report: read defensively, the file is only as trustworthy as the folder. */
export function summarize(name: string, report: unknown): DrillSummary {
  const lost = at(report, 'writes', 'lost');
  const checks = at(report, 'checks');
  return {
    name,
    startedAt: text(at(report, 'startedAt')),
    passed: typeof at(report, 'passed') === 'boolean' ? (at(report, 'passed') as boolean) : null,
    replication: text(at(report, 'config', 'replication', 'mode')),
    regions: integer(at(report, 'config', 'regions')),
    killedRegion: text(at(report, 'kill', 'region')),
    promoted: text(at(report, 'promotion', 'promoted')),
    acknowledgedWrites: integer(at(report, 'writes', 'acknowledged')),
    lostWrites: Array.isArray(lost) ? lost.length : null,
    writeRtoMs: number(at(report, 'writes', 'rtoMs')),
    promotionMs: number(at(report, 'promotion', 'totalMs')),
    failedChecks: Array.isArray(checks)
      ? checks.filter((c) => at(c, 'ok') === false).map((c) => text(at(c, 'name')) ?? 'unnamed check').slice(0, 20)
      : [],
  };
}
