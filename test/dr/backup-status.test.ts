import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupStatus } from '../../src/dr/backup-status.js';
import { readInfo } from '../../src/dr/backup-status.js';
import { connect } from '../../src/db/connect.js';
import { LocalPgCluster } from '../../src/local-pg/index.js';
import { pgOsUser } from '../../src/local-pg/os-user.js';
import { PROGRAMS, run } from '../../src/patroni-lab/commands.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/** pgBackRest 2.45's answers for a stanza that is not there, and one without a backup (recorded from `info --output=json`). */
const MISSING = '[{"archive":[],"backup":[],"cipher":"none","db":[],"name":"verdict","repo":[{"cipher":"none","key":1,"status":{"code":1,"message":"missing stanza path"}}],"status":{"code":1,"lock":{"backup":{"held":false}},"message":"missing stanza path"}}]';
const EMPTY =
  '[{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":null,"min":null}],"backup":[],"cipher":"none","db":[{"id":1,"repo-key":1,"system-id":7714670063079976728,"version":"15"}],"name":"verdict","repo":[{"cipher":"none","key":1,"status":{"code":2,"message":"no valid backups"}}],"status":{"code":2,"lock":{"backup":{"held":false}},"message":"no valid backups"}}]';

describe("reading pgbackrest info's JSON", () => {
  it('keeps the 64-bit system identifier exact, and names what a missing stanza and an empty one need', () => {
    const empty = readInfo(EMPTY, 'verdict');
    expect(empty).toMatchObject({ status: 'no-backup', database: { version: '15', systemId: '7714670063079976728' }, lastFull: null, latest: null, archive: { min: null, max: null } });
    expect(empty.message).toBe("no backup yet: stanza 'verdict' exists but holds no valid backup; take one: pgbackrest --stanza=verdict backup --type=full");
    const missing = readInfo(MISSING, 'verdict');
    expect(missing).toMatchObject({ status: 'stanza-missing', database: null, archive: null, pgbackrest: { code: 1, message: 'missing stanza path' } });
    expect(missing.message).toBe("stanza missing: the repository has no stanza 'verdict' (pgBackRest: missing stanza path); create it: pgbackrest --stanza=verdict stanza-create");
    expect(() => readInfo('[]', 'verdict')).toThrow("no entry for stanza 'verdict'");
  });
});

/**
 * `dr backup-status` against a real pgBackRest (Debian's 2.45) and a real PostgreSQL made by
 * local-pg: archive_command pushes to a repository in a temporary folder, a full and an
 * incremental backup are taken, a WAL segment is switched and archived, and the command reports
 * them. .ci/run installs pgbackrest, so in CI this runs always; elsewhere it needs the package.
 */
describe.runIf(existsSync(PROGRAMS.pgbackrest) || process.env.CI)('dr backup-status against pgBackRest and a local PostgreSQL', () => {
  let root: string;
  let cluster: LocalPgCluster | undefined;
  let config: string;
  let emptyConfig: string;
  let fullLabel: string;
  let incrLabel: string;
  let switched: string;
  const user = pgOsUser();
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(['dr', 'backup-status', ...args], { url: 'http://127.0.0.1:9', cwd: root, env });
  const pgbackrest = async (file: string, ...args: string[]) => {
    const result = await run(PROGRAMS.pgbackrest, [`--config=${file}`, '--stanza=verdict', ...args], { user, cwd: root, timeoutMs: 180_000 });
    if (result.code !== 0) throw new Error(`pgbackrest ${args.join(' ')} failed (${result.code}): ${result.stdout}${result.stderr}`);
    return result;
  };

  const cleanup = async () => {
    await cluster?.stop('immediate').catch(() => undefined);
    if (root) rmSync(root, { recursive: true, force: true });
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'verdict-backup-'));
    chmodSync(root, 0o755); // the postgres OS user must enter it
    try {
      const dir = (name: string) => {
        const at = path.join(root, name);
        mkdirSync(at, { mode: 0o700 });
        if (user.switchUser) chownSync(at, user.uid, user.gid);
        return at;
      };
      const [sock, repo, emptyRepo, lock] = [dir('sock'), dir('repo'), dir('repo-empty'), dir('lock')];
      const dataDir = path.join(root, 'pg');
      const write = (file: string, repoPath: string, port: number) => {
        writeFileSync(
          file,
          [
            '[global]',
            `repo1-path=${repoPath}`,
            'repo1-retention-full=2',
            `lock-path=${lock}`,
            'log-level-file=off',
            'log-level-console=warn',
            'start-fast=y',
            'compress-type=lz4',
            '',
            '[verdict]',
            `pg1-path=${dataDir}`,
            `pg1-port=${port}`,
            `pg1-socket-path=${sock}`,
            'pg1-user=postgres',
            '',
          ].join('\n'),
          { mode: 0o644 },
        );
      };
      config = path.join(root, 'pgbackrest.conf');
      emptyConfig = path.join(root, 'pgbackrest-empty.conf');
      cluster = new LocalPgCluster({
        dir: dataDir,
        durable: false,
        settings: { unix_socket_directories: sock, archive_mode: 'on', archive_command: `pgbackrest --config=${config} --stanza=verdict archive-push %p` },
      });
      await cluster.init();
      await cluster.start();
      // The files name the port the server got; nothing is archived before a WAL segment is
      // switched or filled, which happens only after stanza-create below.
      write(config, repo, cluster.port);
      write(emptyConfig, emptyRepo, cluster.port);
      await pgbackrest(config, 'stanza-create');
      await pgbackrest(emptyConfig, 'stanza-create'); // a stanza that never gets a backup
      await pgbackrest(config, 'backup', '--type=full');
      const sql = connect(cluster.url(), { max: 1 });
      try {
        await sql`CREATE TABLE written_after_the_full_backup AS SELECT 1 AS n`;
        await pgbackrest(config, 'backup', '--type=incr');
        await sql`INSERT INTO written_after_the_full_backup VALUES (2)`;
        const [row] = await sql<{ segment: string }[]>`SELECT pg_walfile_name(pg_switch_wal()) AS segment`;
        switched = row!.segment;
        await waitFor(`${switched} archived`, async () => {
          const [archiver] = await sql<{ last: string | null; failed: number; lastFailed: string | null }[]>`
            SELECT last_archived_wal AS last, failed_count::int AS failed, last_failed_wal AS last_failed FROM pg_stat_archiver`;
          if (archiver!.failed > 0) throw new Error(`archive_command failed for ${archiver!.lastFailed}; see ${cluster!.logFile}`);
          return archiver!.last !== null && archiver!.last >= switched;
        }, 120_000);
      } finally {
        await sql.end();
      }
      const info = JSON.parse((await pgbackrest(config, '--log-level-console=off', 'info', '--output=json')).stdout.replace(/"system-id":(\d+)/, '"system-id":"$1"')) as {
        backup: { label: string; type: string }[];
      }[];
      fullLabel = info[0]!.backup.find((b) => b.type === 'full')!.label;
      incrLabel = info[0]!.backup.find((b) => b.type === 'incr')!.label;
    } catch (error) {
      await cleanup();
      throw error;
    }
  });
  afterAll(cleanup);

  it('shows the last full backup, the latest backup (incremental) and the archived WAL, in --json and text', async () => {
    const text = await cli(['--pgbackrest-config', config]);
    expect(text.code, text.stderr).toBe(0);
    const asJson = await runCli(['--json', 'dr', 'backup-status', '--pgbackrest-config', config, '--stanza', 'verdict'], { url: 'http://127.0.0.1:9', cwd: root });
    expect(asJson.code, asJson.stderr).toBe(0);
    const status = JSON.parse(asJson.stdout) as BackupStatus;
    expect(status).toMatchObject({ status: 'ok', stanza: 'verdict', config, pgbackrest: { code: 0, message: 'ok' }, backupCount: 2, backupRunning: false, warnings: [] });
    expect(status.database!.version).toMatch(/^\d+$/);
    expect(status.database!.systemId).toMatch(/^\d{15,}$/);
    expect(status.lastFull).toMatchObject({ label: fullLabel, type: 'full', prior: null, checksumErrors: false });
    expect(status.lastFull!.walStart).toMatch(/^[0-9A-F]{24}$/);
    expect(status.lastFull!.walStop! >= status.lastFull!.walStart!).toBe(true);
    expect(status.lastFull!.sizeBytes).toBeGreaterThan(1_000_000);
    expect(status.lastFull!.repositorySizeBytes).toBeGreaterThan(0);
    expect(Date.parse(status.lastFull!.stoppedAt)).toBeGreaterThan(Date.now() - 3_600_000);
    expect(status.latest).toMatchObject({ label: incrLabel, type: 'incr', prior: fullLabel });
    expect(incrLabel.startsWith(`${fullLabel}_`)).toBe(true);
    // The archive reaches the segment switched after both backups, and starts no later than the full backup's WAL.
    expect(status.archive!.max! >= switched).toBe(true);
    expect(status.archive!.min! <= status.lastFull!.walStart!).toBe(true);
    expect(status.message).toBe(`ok: last full backup ${fullLabel} at ${status.lastFull!.stoppedAt}; WAL archived up to ${status.archive!.max}`);

    expect(text.stdout.split('\n')[0]).toBe(`status: ${status.message} (stanza verdict, ${config})`);
    expect(text.stdout).toMatch(new RegExp(`^last full backup: +${fullLabel} \\(full\\), stopped \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ, [\\d.]+ MiB \\([\\d.]+ [KM]iB in the repository\\), WAL ${status.lastFull!.walStart} \\.\\. ${status.lastFull!.walStop}$`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^latest backup: +${incrLabel} \\(incr\\), stopped `, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^archived WAL: +${status.archive!.min} \\.\\. ${status.archive!.max}$`, 'm'));
  });

  it('takes the stanza and configuration file from a topology region', async () => {
    const topology = path.join(root, 'topology.yaml');
    writeFileSync(
      topology,
      [
        'regions:',
        '  - name: eu',
        '    postgres: { url: "postgres://postgres@127.0.0.1:9/verdict" }',
        `    pgbackrest: { stanza: verdict, config: "${config}" }`,
        '  - name: us',
        '    postgres: { url: "postgres://postgres@127.0.0.1:9/verdict" }',
        '',
      ].join('\n'),
    );
    const byRegion = await runCli(['--json', 'dr', 'backup-status', '--topology', topology, '--region', 'eu'], { url: 'http://127.0.0.1:9', cwd: root });
    expect(byRegion.code, byRegion.stderr).toBe(0);
    expect(JSON.parse(byRegion.stdout)).toMatchObject({ status: 'ok', region: 'eu', stanza: 'verdict', config, lastFull: { label: fullLabel } });
    // The one region with pgbackrest: is taken without --region; options win over the file's.
    const only = await cli(['--topology', 'topology.yaml']);
    expect(only.code, only.stderr).toBe(0);
    expect(only.stdout.split('\n')[0]).toMatch(/^status: ok: .* \(region eu, stanza verdict, /);
    expect(await cli(['--topology', topology, '--pgbackrest-config', emptyConfig])).toMatchObject({ code: 5 });

    expect(await cli(['--topology', topology, '--region', 'us'])).toMatchObject({
      code: 1,
      stderr: `verdict: region us of ${topology} has no pgbackrest: (stanza, config); add it, or give --stanza and --pgbackrest-config\n`,
    });
    // A region without pgbackrest: is read with the options given.
    const withOptions = await runCli(['--json', 'dr', 'backup-status', '--topology', topology, '--region', 'us', '--pgbackrest-config', config], { url: 'http://127.0.0.1:9', cwd: root });
    expect(withOptions.code, withOptions.stderr).toBe(0);
    expect(JSON.parse(withOptions.stdout)).toMatchObject({ status: 'ok', region: 'us', stanza: 'verdict', config });
    expect(await cli(['--topology', topology, '--region', 'asia'])).toMatchObject({ code: 1, stderr: "verdict: no region 'asia' in the topology; it has eu, us\n" });
    expect(await cli(['--region', 'eu'])).toMatchObject({ code: 2, stderr: 'verdict: --region needs --topology <file>\n' });
  });

  it('says plainly when the stanza is missing, and when it has no backup yet, with exit codes 6 and 5', async () => {
    const missing = await cli(['--pgbackrest-config', config, '--stanza', 'nope']);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toBe("verdict: stanza missing: the repository has no stanza 'nope' (pgBackRest: missing stanza path); create it: pgbackrest --stanza=nope stanza-create\n");
    expect(missing.stdout).toMatch(/^status: stanza missing: .*\nlast full backup: +none\n/);

    const empty = await runCli(['--json', 'dr', 'backup-status', '--pgbackrest-config', emptyConfig], { url: 'http://127.0.0.1:9', cwd: root });
    expect(empty.code).toBe(5);
    expect(JSON.parse(empty.stdout)).toMatchObject({ status: 'no-backup', lastFull: null, latest: null, backupCount: 0, archive: { min: null, max: null }, database: { version: expect.stringMatching(/^\d+$/) } });
    expect(empty.stderr).toBe("verdict: no backup yet: stanza 'verdict' exists but holds no valid backup; take one: pgbackrest --stanza=verdict backup --type=full\n");
  });

  it('says when pgbackrest is not installed, and passes on its error as one line when it fails', async () => {
    const notInstalled = await cli(['--pgbackrest-config', config], { PATH: path.join(root, 'no-such-bin') });
    expect(notInstalled).toEqual({ code: 1, stdout: '', stderr: 'verdict: pgbackrest not installed: no pgbackrest program in PATH (Debian/Ubuntu: apt-get install pgbackrest)\n' });
    const asJson = await runCli(['--json', 'dr', 'backup-status'], { url: 'http://127.0.0.1:9', cwd: root, env: { PATH: path.join(root, 'no-such-bin') } });
    expect(JSON.parse(asJson.stdout)).toMatchObject({ status: 'pgbackrest-missing', lastFull: null });

    const noFile = await cli(['--pgbackrest-config', 'missing.conf']);
    expect(noFile).toEqual({ code: 1, stdout: '', stderr: `verdict: pgbackrest info failed: ERROR: [055]: unable to open missing file '${path.join(root, 'missing.conf')}' for read\n` });
  });
});
