import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DrillReport } from '../../src/drill/types.js';
import { freePort } from '../../src/local-pg/index.js';
import { nodeUrl } from '../../src/lab/state.js';
import { runCli } from '../helpers/cli.js';
import { labFor } from '../helpers/lab.js';
import { waitFor } from '../helpers/wait.js';

const HAPROXY = '/usr/sbin/haproxy';

/**
 * `verdict dr drill --front <url>` with a real HAProxy in front of a 2-region lab: region-1's node
 * is the home server, region-2's a `backup` (the global front of deploy/patroni, one region's
 * clients). The drill kills region-1 and promotes region-2; clients of the front must see no error
 * after the detection window. CI installs HAProxy (.ci/run); without it this is skipped.
 */
describe.skipIf(!existsSync(HAPROXY))('dr drill --front through HAProxy', () => {
  const lab = labFor(2, 'drill-front');
  let haproxy: ChildProcess | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'verdict-front-'));

  afterAll(() => {
    // Its own process group (detached): stopped by pid, with anything it started.
    if (haproxy?.pid !== undefined && haproxy.exitCode === null) process.kill(-haproxy.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports evaluations through the front, with no error after the detection window', async () => {
    const [home, other] = lab.state().regions.map((r) => nodeUrl(r.nodes[0]!).replace('http://', ''));
    const port = await freePort();
    const config = path.join(dir, 'front.cfg');
    writeFileSync(
      config,
      [
        'defaults',
        '    mode http',
        '    timeout connect 1s',
        '    timeout check 1s',
        '    timeout client 30s',
        '    timeout server 10s',
        'frontend clients',
        `    bind 127.0.0.1:${port}`,
        '    default_backend nodes',
        'backend nodes',
        '    option httpchk GET /health/ready',
        '    http-check expect status 200',
        '    retries 2',
        '    option redispatch 1',
        '    retry-on conn-failure empty-response response-timeout 503',
        '    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 2 observe layer4 error-limit 2 on-error mark-down',
        `    server home ${home} check`,
        `    server other ${other} check backup`,
        '',
      ].join('\n'),
    );
    haproxy = spawn(HAPROXY, ['-db', '-f', config], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    haproxy.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const front = `http://127.0.0.1:${port}`;
    await waitFor(`HAProxy on ${front} (${stderr})`, async () => (await fetch(`${front}/health/ready`).then((r) => r.status === 200, () => false)) || undefined);

    const run = await runCli(
      ['dr', 'drill', '--dir', lab.dir(), '--duration', '10', '--concurrency', '1', '--write-rate', '5', '--front', front, '--json', 'report.json'],
      { url: 'http://127.0.0.1:9', cwd: dir },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^through the front ${front}: \\d+ evaluations, \\d+ errors \\(\\d+ within 5000 ms of the kill, 0 after\\)`, 'm'));
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as DrillReport;
    expect(report.front).toMatchObject({ url: front, detectionMs: 5000, errorsAfterDetection: 0 });
    expect(report.front!.requests).toBeGreaterThan(20);
    expect(report.checks.find((c) => c.name === 'evaluation through the front')).toMatchObject({ ok: true });
  });
});
