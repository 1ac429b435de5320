import { Option, type Command } from 'commander';
import { WEBHOOK_EVENT_TYPES, isWebhookEventType } from '../../control-plane/webhooks/events.js';
import type { Delivery, NewWebhook, Webhook } from '../../control-plane/webhooks/schemas.js';
import { seg } from '../client.js';
import type { CommandContext } from '../context.js';
import { usageError } from '../io.js';
import { parsePositive } from '../options.js';
import { printJson, printTable, when } from '../output.js';

const webhooksPath = (project: string) => `api/projects/${seg(project)}/webhooks`;

const EVENTS_HELP = `
Events (comma-separated, or * for all):
  ${WEBHOOK_EVENT_TYPES.join('\n  ')}

Each delivery is a POST with a JSON body { id, type, createdAt, project, data } and the headers
Verdict-Event-Id (the same on every retry: de-duplicate on it), Verdict-Event-Type and
Verdict-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> keyed with the
secret. Refuse timestamps older than 5 minutes; docs/webhooks.md has the verification recipe.
The URL's host must resolve to public addresses unless the server lists it in
VERDICT_WEBHOOK_ALLOW_HOSTS.`;

function parseEvents(value: string): string[] {
  const events = value.split(',').map((e) => e.trim()).filter(Boolean);
  if (events.length === 0) throw usageError('--events needs at least one event type (or *)');
  const unknown = events.filter((e) => e !== '*' && !isWebhookEventType(e));
  if (unknown.length > 0) throw usageError(`unknown event type ${unknown.map((e) => `'${e}'`).join(', ')}; known: ${WEBHOOK_EVENT_TYPES.join(', ')} (or *)`);
  return [...new Set(events)];
}

/**
 * `webhook create --url U` names the webhook's URL, but `--url` is also the CLI's global option
 * (the server), which commander takes wherever it appears. After `webhook create` it is renamed
 * to the command's own `--webhook-url` before parsing; the server's URL is then given before the
 * command (`verdict --url S webhook create --url U`) or by VERDICT_URL.
 */
export function webhookUrlArgs(argv: readonly string[]): string[] {
  const at = argv.findIndex((arg, i) => arg === 'webhook' && argv[i + 1] === 'create');
  if (at < 0) return [...argv];
  const end = argv.indexOf('--', at);
  return argv.map((arg, i) => {
    if (i <= at + 1 || (end >= 0 && i > end)) return arg;
    if (arg === '--url') return '--webhook-url';
    return arg.startsWith('--url=') ? `--webhook-url=${arg.slice('--url='.length)}` : arg;
  });
}

export function registerWebhookCommands(program: Command, ctx: CommandContext): void {
  const webhook = program.command('webhook').description("webhooks: signed POSTs to a URL when a project's decisions, releases or deployments change (admin)");

  webhook
    .command('create')
    .description('subscribe a URL to events; without --secret a signing secret is generated and printed once')
    .requiredOption('--project <project>', 'project key')
    .option('--url <url>', 'http(s) URL to POST events to (required; the server is then --url before "webhook", or VERDICT_URL)')
    .addOption(new Option('--webhook-url <url>').hideHelp())
    .requiredOption('--events <events>', 'event types, comma-separated, or * for all', parseEvents)
    .option('--secret <secret>', 'the HMAC-SHA256 signing secret (16 to 256 printable characters); default: generated')
    .option('--description <text>', 'what the webhook is for')
    .addHelpText('after', EVENTS_HELP)
    .action(async (opts: { project: string; webhookUrl?: string; events: string[]; secret?: string; description?: string }, cmd: Command) => {
      if (!opts.webhookUrl) throw usageError('webhook create needs --url <url>: where to POST the events');
      const body = { url: opts.webhookUrl, events: opts.events, ...(opts.secret ? { secret: opts.secret } : {}), ...(opts.description ? { description: opts.description } : {}) };
      // A generated secret is in the answer, which the server does not keep for retries: sent once.
      const created = await ctx.client(cmd).post<NewWebhook>(webhooksPath(opts.project), body, { retry: opts.secret !== undefined });
      if (ctx.json(cmd)) return printJson(ctx.io, created);
      ctx.io.stdout(`created webhook ${created.id} for ${opts.project}: ${created.events.join(', ')} -> ${created.url}\n`);
      if (created.secret) {
        ctx.io.stdout(`${created.secret}\n`);
        ctx.io.stderr('the signing secret above is shown once: store it with the receiver now\n');
      }
    });

  webhook
    .command('list')
    .description("list a project's webhooks (secrets show their first characters only)")
    .requiredOption('--project <project>', 'project key')
    .action(async (opts: { project: string }, cmd: Command) => {
      const rows = await ctx.client(cmd).get<Webhook[]>(webhooksPath(opts.project));
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'id', value: (w) => w.id },
        { header: 'url', value: (w) => w.url },
        { header: 'events', value: (w) => w.events.join(',') },
        { header: 'secret', value: (w) => w.secretPrefix },
        { header: 'created', value: (w) => when(w.createdAt) },
      ]);
    });

  webhook
    .command('deliveries <id>')
    .description("a webhook's delivery log, newest first: status, attempts, last status code or error")
    .requiredOption('--project <project>', 'project key')
    .option('--status <status>', 'only pending, delivered, failed or cancelled deliveries')
    .option('--limit <n>', 'how many deliveries (at most 200)', (v) => parsePositive(v, '--limit'), 50)
    .action(async (id: string, opts: { project: string; status?: string; limit: number }, cmd: Command) => {
      const rows = await ctx.client(cmd).get<Delivery[]>(`${webhooksPath(opts.project)}/${seg(id)}/deliveries`, { status: opts.status, limit: opts.limit });
      if (ctx.json(cmd)) return printJson(ctx.io, rows);
      printTable(ctx.io, rows, [
        { header: 'id', value: (d) => d.id },
        { header: 'event', value: (d) => d.eventType },
        { header: 'event id', value: (d) => d.eventId },
        { header: 'status', value: (d) => d.status },
        { header: 'attempts', value: (d) => d.attempts },
        { header: 'codes', value: (d) => d.attemptLog.map((a) => a.statusCode ?? 'none').join(',') },
        { header: 'next', value: (d) => when(d.nextAttemptAt) },
        { header: 'last error', value: (d) => d.lastError },
      ]);
    });

  webhook
    .command('ping <id>')
    .description('send a webhook.ping event to this webhook alone, to try its receiver')
    .requiredOption('--project <project>', 'project key')
    .action(async (id: string, opts: { project: string }, cmd: Command) => {
      const sent = await ctx.client(cmd).post<{ eventId: string; deliveryId: number }>(`${webhooksPath(opts.project)}/${seg(id)}/ping`, undefined, { retry: false });
      if (ctx.json(cmd)) return printJson(ctx.io, sent);
      ctx.io.stdout(`queued ping ${sent.eventId} (delivery ${sent.deliveryId}); see: verdict webhook deliveries ${id} --project ${opts.project}\n`);
    });

  webhook
    .command('delete <id>')
    .description('delete a webhook: pending deliveries are cancelled, the delivery log is kept')
    .requiredOption('--project <project>', 'project key')
    .action(async (id: string, opts: { project: string }, cmd: Command) => {
      const deleted = await ctx.client(cmd).delete<Webhook>(`${webhooksPath(opts.project)}/${seg(id)}`);
      if (ctx.json(cmd)) return printJson(ctx.io, deleted);
      ctx.io.stdout(`deleted webhook ${deleted.id} (${deleted.url})\n`);
    });
}
