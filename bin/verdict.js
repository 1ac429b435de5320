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
// main resolves when the command is done (serve: after its shutdown). Exit then rather than wait
// for what is still open: keep-alive sockets and pools closing against a host that is gone held
// `dr` commands 6-10 s past their last line during a region loss. stdout and stderr to files,
// pipes and terminals are written synchronously on Linux, so nothing printed is lost.
process.exit(await main(process.argv));
