import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/chaos/main.js', import.meta.url));

/**
 * The short version of `npm run test:chaos`: a primary killed mid-write and a primary region cut
 * off (skipped with a message where network namespaces cannot be made), then one random sequence,
 * each on a lab of its own, checked by the set checker. The runner is a child process in a group
 * of its own, so a timeout here stops it and it tears its lab down.
 */
describe('chaos (short)', () => {
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  });

  it('loses, duplicates and invents no write, and surviving regions evaluate without error', async () => {
    child = spawn(process.execPath, [MAIN, '--scenarios', '3', '--only', 'kill-primary,partition-primary', '--seed', '7', '--async', '0', '--quiet'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
    const lines = stdout.trim().split('\n');
    expect(code, stdout + stderr).toBe(0);
    expect(lines[0]).toMatch(/^(seed: 7|partition scenarios skipped: .+)$/);
    expect(lines.filter((l) => /^ok +\d+\/3 /.test(l))).toHaveLength(3);
    expect(lines.at(-1)).toMatch(/^chaos: 3 scenarios, [1-9]\d* acknowledged writes, 0 lost, 0 duplicated, 0 surviving-region evaluation errors$/);
    // Nothing of the run is left: no namespace, no root link, named after its pid.
    const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
    expect(namespaces).not.toContain(`verdict-chaos-${child.pid}-`);
    expect(links).not.toContain(`vc${child.pid}c`);
  }, 480_000);
});
