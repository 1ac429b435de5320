import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { DataPlane } from '../../data-plane/data-plane.js';
import { notFound } from '../../errors.js';
import type { Services } from '../services.js';
import { DRILL_REPORT_CSP, DrillReports } from './drill-reports.js';
import { RegionEventStreams, type EventStreamsOptions } from './events.js';
import { RegionsHub } from './hub.js';
import { nodeProbe, type ServerProbe } from './probe.js';
import { DrillParamsSchema, RegionsViewSchema } from './schemas.js';

/** How a node builds its regions view (`verdict serve` fills it from its settings). */
export interface RegionsOptions extends EventStreamsOptions {
  /** Default: what the node sees through its own connections. `dr/regions-probe.ts` probes a topology. */
  readonly probe?: ServerProbe;
  /** Folder of drill reports (`<name>.html` and `<name>.json`), VERDICT_DRILL_REPORTS. */
  readonly drillReportsDir?: string | undefined;
  readonly intervalMs?: number;
  readonly probeTimeoutMs?: number;
}

export interface RegionsRoutesOptions {
  readonly services: Services;
  readonly dataPlane: DataPlane;
  readonly regions?: RegionsOptions | undefined;
}

const tags = ['regions'];

/**
 * The regions screen's one endpoint, its live form and the drill reports. What every route may
 * show a viewer: servers by region and host:port, roles, generations, lag, the fleet and drill
 * verdicts; never a connection URL, user or password (see `ServerViewSchema`).
 */
export const regionsRoutes: FastifyPluginAsyncTypebox<RegionsRoutesOptions> = async (app, { services, dataPlane, regions = {} }) => {
  const drills = regions.drillReportsDir ? new DrillReports(regions.drillReportsDir) : undefined;
  // Made at the first request: registering the routes (e.g. for the OpenAPI document) touches nothing.
  let made: { hub: RegionsHub; streams: RegionEventStreams } | undefined;
  const live = () => {
    if (!made) {
      const hub = new RegionsHub({
        probe: regions.probe ?? nodeProbe(() => services.db, dataPlane.node.region),
        fleet: () => services.fleet.view({ includeGone: false }),
        drills,
        node: { id: dataPlane.node.nodeId, region: dataPlane.node.region },
        ...(regions.intervalMs === undefined ? {} : { intervalMs: regions.intervalMs }),
        ...(regions.probeTimeoutMs === undefined ? {} : { probeTimeoutMs: regions.probeTimeoutMs }),
        logger: app.log.child({ component: 'regions' }) as Logger,
      });
      made = { hub, streams: new RegionEventStreams(hub, regions) };
    }
    return made;
  };
  // Before the server waits for open connections to finish: streams never finish by themselves.
  app.addHook('preClose', async () => {
    made?.streams.closeAll();
    made?.hub.close();
  });

  app.get(
    '/api/regions',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'The regions picture: every PostgreSQL server with its role and lag, the cluster generation, RPO exposure, every node and what it serves, and the drill reports',
        description:
          "From the node's topology file (VERDICT_TOPOLOGY: every server probed) or from what the node sees through its own connections (`source`). Probed at most once per interval for all callers; a server that does not answer within the probe timeout is shown unreachable.",
        response: { 200: RegionsViewSchema },
      },
    },
    () => live().hub.current(),
  );

  app.get(
    '/api/regions/events',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'The regions picture as server-sent events: the same object as GET /api/regions, at once and after every probe (~2 s)',
        description:
          'text/event-stream: `event: regions` with the JSON picture as `data`, and `: heartbeat` comments. A stream ends after 5 minutes and when the server stops; EventSource reconnects (authenticated again). At most VERDICT_REGIONS_MAX_STREAMS at once per node: beyond, 503 `too-many-streams`.',
        produces: ['text/event-stream'],
        response: { 200: { description: 'An event stream (text/event-stream)', type: 'string' } },
      },
    },
    (request, reply) => live().streams.open(request, reply),
  );

  app.get(
    '/api/regions/drills/:name',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'A drill report page (the HTML timeline `verdict dr drill --html` wrote), under a policy that lets nothing load or run',
        params: DrillParamsSchema,
        produces: ['text/html'],
      },
    },
    async (request, reply) => {
      if (!drills) throw notFound('no drill report folder is configured on this node (VERDICT_DRILL_REPORTS)');
      const page = await drills.page(request.params.name);
      return reply.header('content-security-policy', DRILL_REPORT_CSP).type('text/html; charset=utf-8').send(page);
    },
  );
};

