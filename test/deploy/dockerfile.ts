import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));

export interface Instruction {
  /** Upper-cased keyword: FROM, RUN, COPY, ... */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  readonly args: string;
  /** 1-based line of the keyword. */
  readonly line: number;
}

export interface Stage {
  readonly name: string | undefined;
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

/**
 * A Dockerfile as instructions grouped by stage: comments and blank lines dropped, lines ending in
 * a backslash joined. Enough for the facts the tests check; the linter checks the syntax.
 */
export function parseDockerfile(text: string): { preamble: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === undefined && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending !== undefined && line.trimStart().startsWith('#')) return; // comments inside a continuation
    const continued = line.endsWith('\\');
    const part = continued ? line.slice(0, -1).trim() : line.trim();
    pending = pending === undefined ? { text: part, line: index + 1 } : { text: `${pending.text} ${part}`, line: pending.line };
    if (continued) return;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text)!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: pending.line });
    pending = undefined;
  });
  const preamble: Instruction[] = [];
  const stages: { name: string | undefined; from: string; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      stages.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) preamble.push(instruction);
    else stages.at(-1)!.instructions.push(instruction);
  }
  return { preamble, stages };
}

export function readDockerfile(): { preamble: Instruction[]; stages: Stage[] } {
  return parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
}

/** The exec-form (JSON array) arguments of an instruction such as `CMD ["a", "b"]`. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed;
}

/** `ENV A=1 B=2` (the key=value form) as a record; later ENV instructions win. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    for (const [, key, value] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[key!] = value!.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** The HEALTHCHECK's command (exec form) and options (`--interval=10s` -> interval: '10s'). */
export function healthcheckOf(stage: Stage): { options: Record<string, string>; command: string[] } | undefined {
  const instruction = stage.instructions.find((i) => i.keyword === 'HEALTHCHECK');
  if (!instruction) return undefined;
  const match = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(\[.*\])$/.exec(instruction.args);
  if (!match) throw new Error(`HEALTHCHECK is not "[--options] CMD [exec form]": ${instruction.args}`);
  const options = Object.fromEntries([...match[1]!.matchAll(/--([a-z-]+)=(\S+)/g)].map(([, k, v]) => [k!, v!]));
  return { options, command: execForm(match[2]!) };
}
