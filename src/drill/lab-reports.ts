import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { drillsDir } from '../lab/state.js';
import { drillHtml } from './html-report.js';
import type { DrillReport } from './types.js';

/**
 * Keeps a drill's report in the lab it ran on: `<lab>/drills/drill-<start time>.html` and `.json`,
 * the folder the lab's nodes list on the console's Regions screen (VERDICT_DRILL_REPORTS). Each
 * file is written whole and then renamed, so a node listing the folder never reads half of one.
 */
export function saveInLab(labDir: string, report: DrillReport): { readonly html: string; readonly json: string } {
  const dir = drillsDir(labDir);
  mkdirSync(dir, { recursive: true });
  const name = `drill-${report.startedAt.replace(/[:.]/g, '-')}`;
  const files = { html: path.join(dir, `${name}.html`), json: path.join(dir, `${name}.json`) };
  // The JSON first: a page listed without its verdict would show as unknown for a moment.
  writeWhole(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeWhole(files.html, drillHtml(report));
  return files;
}

function writeWhole(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}
