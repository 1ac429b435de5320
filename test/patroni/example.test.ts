import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { haproxyCheck, patroniValidate, PROGRAMS, run } from '../../src/patroni-lab/commands.js';
import { exampleFiles } from '../../src/patroni-lab/example.js';
import { renderLabFiles } from '../../src/patroni-lab/files.js';
import { planLab, type PortSource } from '../../src/patroni-lab/plan.js';
import { kernelPorts } from '../../src/patroni-lab/ports.js';

const EXAMPLE = fileURLToPath(new URL('../../deploy/patroni/example', import.meta.url));
const PG_BIN = '/usr/lib/postgresql/15/bin';
const installed = (...files: string[]) => files.every((f) => existsSync(f));

/** Files under `dir`, relative to it. */
const listFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();

/**
 * The checked-in example is the generator's output, and the tools of Debian 12 accept what the
 * generator writes: haproxy -c, patroni --validate-config, pgBackRest's option parser. These run
 * check commands only; no server is started (etcd's client ports are stood in for by plain TCP
 * listeners, because Patroni's validator insists that etcd be reachable).
 */
describe('deploy/patroni example and the generator', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'verdict-patroni-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('deploy/patroni/example is what the generator writes today (npm run patroni:example)', async () => {
    const files = await exampleFiles();
    expect(listFiles(EXAMPLE)).toEqual([...files.keys()].sort());
    for (const [relative, content] of files) expect(readFileSync(path.join(EXAMPLE, relative), 'utf8'), relative).toBe(content);
  });

  it.runIf(installed(PROGRAMS.haproxy))('haproxy -c accepts every HAProxy file, without a warning', async () => {
    for (const file of listFiles(EXAMPLE).filter((f) => f.endsWith('.cfg'))) {
      const result = await haproxyCheck(path.join(EXAMPLE, file));
      expect({ file, code: result.code, out: `${result.stdout}${result.stderr}`.trim() }).toEqual({ file, code: 0, out: 'Configuration file is valid' });
    }
  });

  it.runIf(installed(PROGRAMS.pgbackrest))('pgBackRest knows every option of the pgBackRest files', async () => {
    for (const file of listFiles(EXAMPLE).filter((f) => f.endsWith('.conf'))) {
      const result = await run(PROGRAMS.pgbackrest, [`--config=${path.join(EXAMPLE, file)}`, '--stanza=verdict', 'info'], { cwd: dir });
      expect({ file, warnings: `${result.stdout}${result.stderr}`.split('\n').filter((l) => /WARN|ERROR/.test(l)) }).toEqual({ file, warnings: [] });
    }
  });

  it.runIf(installed(PROGRAMS.patroni, path.join(PG_BIN, 'pg_ctl')))('patroni --validate-config accepts every member of a lab plan', async () => {
    // Stand-ins for etcd's client ports, on the addresses the plan gives etcd.
    const standIns = await Promise.all(
      [1, 2, 3].map(
        (i) =>
          new Promise<net.Server>((resolve, reject) => {
            const server = net.createServer((socket) => socket.destroy());
            server.once('error', reject);
            server.listen(0, `127.0.3.${i}`, () => resolve(server));
          }),
      ),
    );
    try {
      const kernel = kernelPorts();
      const ports: PortSource = async (host, purpose) =>
        purpose === 'etcd-client' ? (standIns[Number(host.split('.')[3]) - 1]!.address() as net.AddressInfo).port : kernel(host, purpose);
      const plan = await planLab({ root: path.join(dir, 'lab'), pgBinDir: PG_BIN }, ports);
      for (const file of renderLabFiles(plan).filter((f) => f.path.endsWith('.yml'))) {
        mkdirSync(path.dirname(file.path), { recursive: true });
        writeFileSync(file.path, file.content, { mode: 0o600 });
        const result = await patroniValidate(file.path);
        expect({ file: path.basename(file.path), code: result.code, out: `${result.stdout}${result.stderr}`.trim() }).toEqual({ file: path.basename(file.path), code: 0, out: '' });
      }
    } finally {
      await Promise.all(standIns.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});
