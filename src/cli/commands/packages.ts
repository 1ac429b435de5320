import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { assertNever } from '../../lib/assert-never.js';
import { sha256Hex } from '../../lib/hash.js';
import type { parsePackage } from '../../control-plane/packages/parse.js';
import { generateSigningKeys, keyId, loadPrivateKey } from '../../control-plane/packages/signing.js';
import type { ApplyResult } from '../../control-plane/packages/schemas.js';
import { AppError } from '../../errors.js';
import { ApiError, seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError, usageError } from '../io.js';
import { waitForDecision } from './approvals.js';
import { printJson } from '../output.js';
import { parsePositive } from '../options.js';
import { Progress } from '../progress.js';
import { createPublicKey } from 'node:crypto';

// The package code pulls in TypeBox's compiler (~0.5 s to load): imported by the commands that
// use it, so that every other command starts faster.
const packageBuild = () => import('../../control-plane/packages/build.js');
type ParsedPackage = Awaited<ReturnType<typeof parsePackage>>;

/** Exit codes of `release apply` / `release import`, documented in --help and the README. */
export const APPLY_EXIT = { applied: 0, conflict: 3, refused: 4 } as const;

const REFUSED_CODES = new Set(['invalid-package', 'untrusted-package', 'invalid-decision', 'invalid-release', 'payload-too-large']);

const APPLY_HELP = `
Exit codes:
  0  applied, or already applied (nothing changed; --json says "already-applied")
  3  refused: it conflicts with what the target has (another release with that id or label)
  4  refused: the package is invalid, was modified, is larger than the target accepts, is
     unsigned where signatures are required, is signed by a key the target does not trust, or
     the token may not apply it (a deployer's unsigned package bringing new decision content)
  1  any other error (network, authentication, server); 2 usage errors`;

/** A file named on the command line: one that cannot be read is a usage error. */
function readArgumentFile(ctx: CommandContext, file: string, option?: string): Buffer {
  const full = path.resolve(ctx.io.cwd, file);
  try {
    return readFileSync(full);
  } catch (error) {
    throw usageError(`cannot read ${option ? `${option} ` : ''}${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** The project a package names (a GoRules zip names none) and what it is, in one line. */
function describePackage(pkg: ParsedPackage): { project: string | undefined; summary: string } {
  switch (pkg.kind) {
    case 'verdict':
      return {
        project: pkg.manifest.project.key,
        summary: `release ${pkg.manifest.release.label}, ${pkg.decisions.length} decisions, ${pkg.signature ? `signed by ${pkg.signature.keyId}` : 'unsigned'}`,
      };
    case 'gorules':
      return { project: undefined, summary: `GoRules zip, ${pkg.decisions.length} decisions` };
    default:
      return assertNever(pkg, 'package kind');
  }
}

/** Local verification before upload, so a broken file fails fast with the same message. */
async function inspect(zip: Buffer): Promise<ParsedPackage> {
  const parse = await import('../../control-plane/packages/parse.js');
  try {
    return await parse.parsePackage(zip);
  } catch (error) {
    if (error instanceof AppError) throw new CliError(`package refused: ${error.detail}`, APPLY_EXIT.refused);
    throw error;
  }
}

async function applyPackage(
  ctx: CommandContext,
  cmd: Command,
  file: string,
  opts: { project?: string; env?: string; label?: string; wait?: boolean; waitTimeout: number },
): Promise<void> {
  const progress = new Progress(ctx.io);
  const zip = readArgumentFile(ctx, file);
  progress.step(`checking ${path.basename(file)}`);
  const pkg = await inspect(zip);
  const described = describePackage(pkg);
  const project = opts.project ?? described.project;
  if (!project) throw usageError('--project is required for a GoRules zip (it has no Verdict manifest)');
  progress.done(described.summary);
  const client = ctx.client(cmd);
  progress.step(`applying to ${client.baseUrl} (${(zip.length / 1024).toFixed(0)} KiB)`);
  let result: ApplyResult;
  try {
    result = await client.upload<ApplyResult>(`api/projects/${seg(project)}/packages`, zip, 'application/zip', { environment: opts.env, label: opts.label });
  } catch (error) {
    progress.fail();
    if (error instanceof ApiError) {
      if (error.status === 409) throw new CliError(error.message, APPLY_EXIT.conflict, error.problem);
      // 403: this token may not apply this package (e.g. a deployer's unsigned package with new
      // decision content); never transient, so a refusal rather than an error to retry.
      if (error.status === 403 || (error.code && REFUSED_CODES.has(error.code))) throw new CliError(error.message, APPLY_EXIT.refused, error.problem);
    }
    throw error;
  }
  progress.done(result.status === 'already-applied' ? '(already applied)' : '');

  const request = result.deploymentRequest;
  if (opts.wait && opts.env && request) {
    // A protected environment: the deploy happens when someone else approves the request.
    progress.step(`waiting for request ${request.requestId} to be approved (${request.requiredApprovals} approval${request.requiredApprovals === 1 ? '' : 's'})`);
    try {
      await waitForDecision(client, project, request.requestId, opts.waitTimeout, () => undefined);
    } catch (error) {
      progress.fail();
      throw error;
    }
    progress.done();
  }
  if (opts.wait && opts.env) {
    progress.step(`waiting until ${project}/${opts.env} serves ${result.release.label}`);
    const deadline = Date.now() + opts.waitTimeout * 1000;
    for (;;) {
      const serving = await client.get<{ releaseId: string | null }>(`api/projects/${seg(project)}/environments/${seg(opts.env)}/serving`).catch(() => undefined);
      if (serving?.releaseId === result.release.id) break;
      if (Date.now() > deadline) {
        progress.fail();
        throw new CliError(`applied, but ${project}/${opts.env} did not serve ${result.release.label} within ${opts.waitTimeout} s`);
      }
      await sleep(100);
    }
    progress.done();
  }

  if (ctx.json(cmd)) return printJson(ctx.io, result);
  const deployed = result.deployment
    ? result.deployment.changed
      ? `; deployed to ${result.deployment.environment}`
      : `; ${result.deployment.environment} already served it`
    : request
      ? opts.wait
        ? `; deployed to ${request.environment} after approval of request ${request.requestId}`
        : `; ${request.environment} is protected: deployment request ${request.requestId} waits for ${request.requiredApprovals} approval${request.requiredApprovals === 1 ? '' : 's'} (verdict approvals approve ${request.requestId} --project ${project})`
      : '';
  ctx.io.stdout(
    result.status === 'already-applied'
      ? `already applied: release ${result.release.label} (${result.release.id}) is on ${client.baseUrl}${deployed}\n`
      : `applied release ${result.release.label} (${result.release.id}): ${result.decisions.saved} decisions saved, ${result.decisions.unchanged} unchanged${deployed}\n`,
  );
}

export function registerPackageCommands(release: Command, program: Command, ctx: CommandContext): void {
  release
    .command('export')
    .description('write a release as a package zip (GoRules layout + manifest), optionally signed')
    .requiredOption('--project <project>', 'project key')
    .requiredOption('--release <release>', "release id, label, or 'latest'")
    .option('-o, --output <file>', 'zip file to write (default: <project>-<label>.zip)')
    .option('--sign-key <file>', 'Ed25519 private key (PEM) to sign the manifest with (verdict keys generate)')
    .option('--format <format>', "'verdict' (a release package), or 'agent' for the GoRules Agent's Zip/Filesystem provider", 'verdict')
    .option('--access-token <token>', 'agent format: an access token to write into .config/project.json in plain text (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (opts: { project: string; release: string; output?: string; signKey?: string; format: string; accessToken: string[] }, cmd: Command) => {
      if (opts.format !== 'verdict' && opts.format !== 'agent') throw usageError(`--format must be verdict or agent (got "${opts.format}")`);
      if (opts.format === 'agent' && opts.signKey) throw usageError('--sign-key applies to the verdict format; the GoRules Agent does not check signatures');
      if (opts.format === 'verdict' && opts.accessToken.length > 0) throw usageError('--access-token applies to --format agent only');
      let zip = await ctx.client(cmd).download(`api/projects/${seg(opts.project)}/releases/${seg(opts.release)}/package`);
      const pkg = await inspect(zip);
      if (pkg.kind !== 'verdict') throw new CliError('the server did not return a Verdict package');
      let signedBy = pkg.signature?.keyId ?? null;
      if (opts.signKey) {
        const key = loadPrivateKey(readArgumentFile(ctx, opts.signKey, '--sign-key').toString('utf8'));
        zip = await (await packageBuild()).signPackage(zip, key);
        signedBy = keyId(createPublicKey(key));
      }
      if (opts.format === 'agent') {
        const m = pkg.manifest;
        zip = await (await packageBuild()).buildAgentPackage(
          {
            // The agent matches the project in evaluation URLs against project.id: use the key.
            project: { id: m.project.key, key: m.project.key, name: m.project.name },
            release: m.release,
            instance: m.source.instance,
            decisions: pkg.decisions.map((d) => ({ key: d.key, version: 0, contentHash: d.contentHash, content: d.content })),
          },
          { accessTokens: opts.accessToken },
        );
        signedBy = null;
      }
      const defaultName = `${opts.project}-${pkg.manifest.release.label}.zip`;
      if (!opts.output && !/^[A-Za-z0-9._+-]+$/.test(defaultName)) throw usageError('the release label cannot be used as a file name; pass -o');
      const file = path.resolve(ctx.io.cwd, opts.output ?? defaultName);
      writeFileSync(file, zip);
      const summary = {
        file,
        format: opts.format,
        release: { id: pkg.manifest.release.id, label: pkg.manifest.release.label, contentHash: pkg.manifest.release.contentHash },
        decisions: pkg.decisions.length,
        bytes: zip.length,
        sha256: sha256Hex(zip),
        signedBy,
      };
      if (ctx.json(cmd)) return printJson(ctx.io, summary);
      ctx.io.stdout(
        `wrote ${path.relative(ctx.io.cwd, file) || file}: release ${summary.release.label}, ${summary.decisions} decisions, ${(zip.length / 1024).toFixed(1)} KiB, ${
          opts.format === 'agent' ? (opts.accessToken.length ? `${opts.accessToken.length} access token(s) in plain text` : 'no .config (the agent will admit every request)') : signedBy ? `signed by ${signedBy}` : 'unsigned'
        }\n`,
      );
    });

  release
    .command('apply <file>')
    .description('apply a release package to an instance: verify, save, release (and deploy) in one transaction')
    .option('--project <project>', "target project (default: the package's)")
    .option('--env <env>', 'deploy the release to this environment in the same transaction')
    .option('--wait', 'with --env: return once the server answering --url serves the release (on a protected environment: once the request is approved, too)')
    .option('--wait-timeout <seconds>', 'how long --wait waits', (v) => parsePositive(v, '--wait-timeout'), 60)
    .addHelpText('after', APPLY_HELP)
    .action((file: string, opts: { project?: string; env?: string; wait?: boolean; waitTimeout: number }, cmd: Command) => {
      if (opts.wait && !opts.env) throw usageError('--wait needs --env: it waits until that environment serves the release');
      return applyPackage(ctx, cmd, file, opts);
    });

  release
    .command('import <file>')
    .description('import a release zip downloaded from GoRules BRMS as decisions and a release')
    .requiredOption('--project <project>', 'project to import into')
    .option('--label <label>', 'release label (default: the next v<number>)')
    .option('--env <env>', 'deploy the release to this environment in the same transaction')
    .addHelpText('after', APPLY_HELP)
    .action((file: string, opts: { project: string; label?: string; env?: string }, cmd: Command) => applyPackage(ctx, cmd, file, { ...opts, waitTimeout: 0 }));

  const keys = program.command('keys').description('Ed25519 keys that sign release packages');
  keys
    .command('generate')
    .description('write a new key pair: <name>.key (private, mode 600) and <name>.pub (give it to targets as VERDICT_TRUSTED_KEYS)')
    .option('--name <name>', 'file name stem', 'verdict-signing')
    .option('--dir <dir>', 'folder to write into', '.')
    .action((opts: { name: string; dir: string }, cmd: Command) => {
      const dir = path.resolve(ctx.io.cwd, opts.dir);
      const privateFile = path.join(dir, `${opts.name}.key`);
      const publicFile = path.join(dir, `${opts.name}.pub`);
      for (const f of [privateFile, publicFile]) if (existsSync(f)) throw new CliError(`${f} exists; refusing to overwrite a key`);
      const pair = generateSigningKeys();
      writeFileSync(privateFile, pair.privateKey, { mode: 0o600 });
      writeFileSync(publicFile, pair.publicKey, { mode: 0o644 });
      if (ctx.json(cmd)) return printJson(ctx.io, { keyId: pair.keyId, privateKey: privateFile, publicKey: publicFile });
      ctx.io.stdout(`key ${pair.keyId}: private ${path.relative(ctx.io.cwd, privateFile)} (keep secret), public ${path.relative(ctx.io.cwd, publicFile)}\n`);
    });
}
