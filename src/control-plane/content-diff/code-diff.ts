import { structuredPatch, type StructuredPatchHunk } from 'diff';
import type { DiffContext } from './context.js';
import type { NodeDetail } from './schemas.js';
import { cutText } from './values.js';

type CodeChanged = Extract<NodeDetail, { kind: 'code-changed' }>;

const CONTEXT = 3;

function linesOf(code: string): string[] {
  if (code === '') return [];
  const lines = code.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // a final newline ends the last line
  return lines;
}

/**
 * A function node's code as a unified diff, computed by jsdiff (`structuredPatch`, Myers' line
 * diff) rather than by hand. jsdiff compares every line and its cost grows with the lines times
 * the edits, so the common start and end are set aside first (an edit in a 5,000-line function
 * compares a few lines), and its edit length and time are capped. Code too different to compare
 * within those bounds is shown as every differing line removed and added (`exact: false`), which
 * is still a valid patch. Patch lines are drawn from the diff's `maxPatchLines`, and long lines are cut.
 */
export function diffCode(ctx: DiffContext, before: string, after: string): CodeChanged {
  const older = linesOf(before);
  const newer = linesOf(after);
  let prefix = 0;
  while (prefix < older.length && prefix < newer.length && older[prefix] === newer[prefix]) prefix++;
  let suffix = 0;
  while (suffix < older.length - prefix && suffix < newer.length - prefix && older[older.length - 1 - suffix] === newer[newer.length - 1 - suffix]) suffix++;

  // Keep the context lines jsdiff would show around the change.
  const from = Math.max(0, prefix - CONTEXT);
  const olderPart = older.slice(from, older.length - Math.max(0, suffix - CONTEXT));
  const newerPart = newer.slice(from, newer.length - Math.max(0, suffix - CONTEXT));

  let hunks: StructuredPatchHunk[] | undefined;
  if (olderPart.length + newerPart.length <= ctx.limits.maxCompareLines) {
    const text = (lines: string[]) => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    const patch = structuredPatch('before', 'after', text(olderPart), text(newerPart), undefined, undefined, {
      context: CONTEXT,
      maxEditLength: ctx.limits.maxEditLength,
      timeout: ctx.limits.editTimeoutMs,
    });
    hunks = patch?.hunks.map((h) => ({ ...h, oldStart: h.oldStart + from, newStart: h.newStart + from }));
  }
  const exact = hunks !== undefined;
  hunks ??= [wholeReplacement(older.slice(prefix, older.length - suffix), newer.slice(prefix, newer.length - suffix), prefix)];

  const all = hunks.flatMap((hunk) => [`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`, ...hunk.lines]);
  const granted = ctx.budget.takePatchLines(all.length);
  const lines = all.slice(0, granted).map((line) => cutText(line, ctx.limits.maxTextLength).text);
  const omittedLines = all.length - granted;
  return { kind: 'code-changed', linesBefore: older.length, linesAfter: newer.length, patch: lines.join('\n'), exact, omittedLines };
}

/** One hunk that removes the old middle and adds the new one: no line matching, linear cost. */
function wholeReplacement(removed: string[], added: string[], prefix: number): StructuredPatchHunk {
  return {
    // Unified diff convention: an empty side starts at the line before the hunk.
    oldStart: removed.length === 0 ? prefix : prefix + 1,
    oldLines: removed.length,
    newStart: added.length === 0 ? prefix : prefix + 1,
    newLines: added.length,
    lines: [...removed.map((l) => `-${l}`), ...added.map((l) => `+${l}`)],
  };
}

const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);
