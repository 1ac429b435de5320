import { Type, type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * One PostgreSQL server as a viewer may see it: named by its region and `host:port`, never by its
 * connection URL (which may carry a user and password), and with errors reduced to what happened.
 */
export const ServerViewSchema = Type.Object({
  address: Type.String({ description: 'host:port of the server' }),
  region: Nullable(Type.String({ description: 'The region it belongs to; null when this node cannot tell (no topology)' })),
  role: Type.Union([Type.Literal('primary'), Type.Literal('standby'), Type.Literal('unreachable')]),
  fenced: Type.Boolean({ description: 'Writable with a cluster generation older than another server’s: an old primary that came back; Verdict nodes refuse it' }),
  splitBrain: Type.Boolean({ description: 'Writable with the same, highest generation as another writable server' }),
  generation: Nullable(Type.Integer()),
  timeline: Nullable(Type.Integer()),
  upstream: Nullable(Type.String({ description: 'Standby: host:port it streams from' })),
  upstreamRegion: Nullable(Type.String({ description: 'Standby: the region of its upstream, when known' })),
  streaming: Type.Boolean({ description: 'Standby: its WAL receiver streams now' }),
  syncState: Nullable(Type.String({ description: 'Standby, as the primary sees it: sync, potential, quorum or async' })),
  replayLagBytes: Nullable(Type.Number()),
  replayLagSeconds: Nullable(Type.Number()),
  problem: Nullable(Type.String({ description: 'Why it is unreachable or unusable, without connection details' })),
});
export type ServerView = Static<typeof ServerViewSchema>;

/** What a probe of the database servers found: everything in the view but the fleet and the drills. */
export const ClusterPictureSchema = Type.Object({
  health: Type.Union([Type.Literal('ok'), Type.Literal('no-primary'), Type.Literal('split-brain'), Type.Literal('fenced')]),
  primary: Nullable(Type.String({ description: 'host:port of the primary (the writable server with the highest cluster generation)' })),
  highestGeneration: Nullable(Type.Integer()),
  replication: Nullable(
    Type.Object({
      mode: Type.Union([Type.Literal('sync'), Type.Literal('quorum'), Type.Literal('async')]),
      synchronousStandbyNames: Type.String(),
    }),
  ),
  rpoExposure: Nullable(
    Type.Object({
      bytes: Nullable(Type.Number({ description: 'WAL the primary wrote that no standby has flushed; null when no standby streams' })),
      seconds: Nullable(Type.Number()),
      acknowledgedCommitsAtRisk: Type.Boolean({ description: 'True in async mode, or with no standby: a loss of the primary now may lose acknowledged writes' }),
    }),
  ),
  servers: Type.Array(ServerViewSchema),
  /** The regions a topology names, in its order (empty for the node's own view). */
  regions: Type.Array(Type.String()),
});
export type ClusterPicture = Static<typeof ClusterPictureSchema>;

export const NodeViewSchema = Type.Object({
  nodeId: Type.String(),
  version: Type.String(),
  stale: Type.Boolean({ description: 'No heartbeat for three intervals: the node may be gone or cut off' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  dbRole: Type.String({ description: 'What the node reads from: primary, replica or unknown' }),
  serving: Type.Array(
    Type.Object({
      project: Type.String(),
      environment: Type.String(),
      releaseLabel: Nullable(Type.String()),
      status: Type.Union([Type.Literal('in-sync'), Type.Literal('out-of-sync'), Type.Literal('stale')]),
    }),
  ),
});
export type NodeView = Static<typeof NodeViewSchema>;

export const RegionViewSchema = Type.Object({
  name: Type.String(),
  inTopology: Type.Boolean({ description: 'Named by the topology (false: known only from the fleet or from this node)' }),
  status: Type.Union([Type.Literal('ok'), Type.Literal('warning'), Type.Literal('failed')], {
    description: 'failed: a server of the region is unreachable, fenced or in a split brain; warning: a standby does not stream, or a node is stale or out of sync',
  }),
  problems: Type.Array(Type.String(), { description: 'What makes the status what it is, one sentence each' }),
  nodes: Type.Array(NodeViewSchema),
});
export type RegionView = Static<typeof RegionViewSchema>;

export const DrillSummarySchema = Type.Object({
  name: Type.String({ description: 'The report file name without .html; GET /api/regions/drills/{name} serves the page' }),
  startedAt: Nullable(Type.String()),
  passed: Nullable(Type.Boolean({ description: 'The drill’s verdict; null when no JSON report lies next to the page' })),
  replication: Nullable(Type.String()),
  regions: Nullable(Type.Integer()),
  killedRegion: Nullable(Type.String()),
  promoted: Nullable(Type.String()),
  acknowledgedWrites: Nullable(Type.Integer()),
  lostWrites: Nullable(Type.Integer({ description: 'RPO: acknowledged writes missing on the new primary' })),
  writeRtoMs: Nullable(Type.Number({ description: 'RTO: start of the kill to the first acknowledged write' })),
  promotionMs: Nullable(Type.Number()),
  failedChecks: Type.Array(Type.String()),
});
export type DrillSummary = Static<typeof DrillSummarySchema>;

export const RegionsViewSchema = Type.Object({
  at: Type.String({ format: 'date-time', description: 'When this picture was assembled' }),
  probedAt: Nullable(Type.String({ format: 'date-time', description: 'When the servers last answered a probe (older than `at` while a probe fails)' })),
  source: Type.Union([Type.Literal('topology'), Type.Literal('node')], {
    description: "topology: every server of the node's topology file was probed; node: only what this node sees through its own database connections",
  }),
  sourceDetail: Type.String(),
  node: Type.Object({ id: Type.String(), region: Type.String() }, { description: 'The node that answered' }),
  health: ClusterPictureSchema.properties.health,
  primary: ClusterPictureSchema.properties.primary,
  primaryRegion: Nullable(Type.String()),
  highestGeneration: ClusterPictureSchema.properties.highestGeneration,
  replication: ClusterPictureSchema.properties.replication,
  rpoExposure: ClusterPictureSchema.properties.rpoExposure,
  servers: Type.Array(ServerViewSchema),
  regions: Type.Array(RegionViewSchema),
  environments: Type.Array(Type.Object({ project: Type.String(), environment: Type.String(), deployedRelease: Nullable(Type.String()) })),
  probeError: Nullable(Type.String({ description: 'The last probe of the servers failed: the servers shown are from probedAt' })),
  fleetError: Nullable(Type.String({ description: 'The fleet could not be read: the nodes shown are from an earlier answer, or none' })),
  drills: Type.Object({
    configured: Type.Boolean({ description: 'A drill report folder is configured (VERDICT_DRILL_REPORTS)' }),
    reports: Type.Array(DrillSummarySchema),
    error: Nullable(Type.String()),
  }),
});
export type RegionsView = Static<typeof RegionsViewSchema>;

export const DrillParamsSchema = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$' }) });
