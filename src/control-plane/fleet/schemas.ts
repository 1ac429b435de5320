import { Type, type Static } from 'typebox';

export const ServedSchema = Type.Object({
  environmentId: Type.String(),
  project: Type.String(),
  environment: Type.String(),
  releaseId: Type.Union([Type.String(), Type.Null()]),
  releaseLabel: Type.Union([Type.String(), Type.Null()]),
});
export type Served = Static<typeof ServedSchema>;

export const FleetNodeSchema = Type.Object({
  nodeId: Type.String(),
  region: Type.String(),
  version: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  dbRole: Type.String(),
  changeCounter: Type.Union([Type.Integer(), Type.Null()]),
  reloadedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  stale: Type.Boolean({ description: 'No heartbeat for three intervals: the node may be gone or cut off' }),
  serving: Type.Array(ServedSchema),
});
export type FleetNode = Static<typeof FleetNodeSchema>;

export const FleetSchema = Type.Object({
  changeCounter: Type.Integer(),
  nodes: Type.Array(FleetNodeSchema),
  environments: Type.Array(
    Type.Object({
      project: Type.String(),
      environment: Type.String(),
      deployed: Type.Union([Type.Object({ releaseId: Type.String(), releaseLabel: Type.String() }), Type.Null()]),
      nodes: Type.Array(
        Type.Object({
          nodeId: Type.String(),
          region: Type.String(),
          releaseLabel: Type.Union([Type.String(), Type.Null()]),
          status: Type.Union([Type.Literal('in-sync'), Type.Literal('out-of-sync'), Type.Literal('stale')]),
        }),
      ),
    }),
  ),
});
export type Fleet = Static<typeof FleetSchema>;

export const FleetQuerySchema = Type.Object({
  project: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
  includeGone: Type.Boolean({ default: false, description: 'Include nodes silent for more than an hour' }),
});
