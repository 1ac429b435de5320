import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));

describe('bin/verdict.js', () => {
  it('ends quietly with exit 0 when its reader stops reading (verdict ... --help | head)', async () => {
    const child = spawn(process.execPath, [BIN, 'decision', 'diff', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Like `head` that has read enough: the pipe is closed before the help text is written.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});
