#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run automatically by `npm install` via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('verdict: dist/ is missing; run `npm install` (or `npm run build`) in the project folder first\n');
  process.exit(1);
}
// A reader that stopped reading (`verdict decision list | head`) ends the command quietly, as other
// Unix tools do, instead of with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
