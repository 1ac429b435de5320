import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { runCli } from './helpers/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('documentation and repository hygiene', () => {
  it('documents when unsigned packages are refused as the code decides it', async () => {
    const required = (env: Record<string, string>) => loadConfig(env, ROOT).requireSignedPackages;
    expect(required({})).toBe(false);
    expect(required({ NODE_ENV: 'production' })).toBe(true);
    // Trusting signers means wanting signatures.
    expect(required({ VERDICT_TRUSTED_KEYS: 'ci.pub' })).toBe(true);
    expect(required({ VERDICT_TRUSTED_KEYS: 'ci.pub', VERDICT_REQUIRE_SIGNED_PACKAGES: 'false' })).toBe(false);

    const row = readme.split('\n').find((line) => line.startsWith('| `VERDICT_REQUIRE_SIGNED_PACKAGES` |'));
    expect(row).toMatch(/`true` when `NODE_ENV=production` or `VERDICT_TRUSTED_KEYS` is set, else `false`/);
    const help = (await runCli(['serve', '--help'], { url: 'http://127.0.0.1:1' })).stdout;
    expect(help).toMatch(/VERDICT_REQUIRE_SIGNED_PACKAGES\s+refuse unsigned packages \(default: true when\s+NODE_ENV=production or VERDICT_TRUSTED_KEYS is set\)/);
  });

  it.runIf(existsSync(new URL('../.git', import.meta.url)))('ignores local state and no tracked file', () => {
    const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' });
    // A tracked file matching .gitignore is a pattern that lies: edits to it still show up.
    expect(git('ls-files', '--cached', '--ignored', '--exclude-standard')).toBe('');
    for (const local of ['.verdict/pg.password', '.verdict-lab/lab.json', 'node_modules/x', 'dist/cli/main.js', 'web/dist/index.html', 'test-results/console/01-sign-in.png']) {
      expect(git('check-ignore', '--no-index', local).trim(), local).toBe(local);
    }
  });
});
