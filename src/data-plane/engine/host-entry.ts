import { mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const FROM_SOURCE = here.endsWith('.ts');
let sourceEntry: { entry: string; execArgv: string[] } | undefined;

/**
 * The host's entry point. Built, it is plain JS next to this file. From the TypeScript sources
 * (tests, `npm run dev`) it is bundled once per process with esbuild (a dev dependency): a host
 * started through tsx took 1-2 s of CPU on a busy machine, a bundled one a tenth of that.
 */
export function hostEntry(): { entry: string; execArgv: string[] } {
  if (!FROM_SOURCE) return { entry: path.join(path.dirname(here), 'host-main.js'), execArgv: [] };
  sourceEntry ??= bundleHostFromSource();
  return sourceEntry;
}

function bundleHostFromSource(): { entry: string; execArgv: string[] } {
  const source = path.join(path.dirname(here), 'host-main.ts');
  try {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
    // Inside the project, so the bundle's imports of installed packages resolve from node_modules.
    const dir = path.resolve(path.dirname(here), '../../../node_modules/.cache/verdict');
    mkdirSync(dir, { recursive: true });
    const out = path.join(dir, 'engine-host.mjs');
    const tmp = `${out}.${process.pid}.tmp`;
    esbuild.buildSync({ entryPoints: [source], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: tmp, logLevel: 'silent' });
    renameSync(tmp, out); // atomic: other processes bundling at the same time read a whole file
    return { entry: out, execArgv: [] };
  } catch {
    return { entry: source, execArgv: ['--import', 'tsx'] };
  }
}
