import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { runCli } from './helpers/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('documentation', () => {
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
});
