import path from 'node:path';
import type { DrStatus } from '../../src/dr/status.js';
import { runCli, type CliRun } from './cli.js';

/** `verdict dr status` on a lab, by its folder (`--dir`) or by the topology.yaml it wrote (`--topology`). */
export function drStatusBoth(dir: string, adminToken: string, ...extra: string[]): Promise<[CliRun, CliRun]> {
  // The lab form asks the fleet with the lab's token; a topology file with VERDICT_TOKEN, as `lab up` says to export.
  const options = { url: 'http://127.0.0.1:9', cwd: dir, env: { VERDICT_TOKEN: adminToken } };
  return Promise.all([
    runCli(['dr', 'status', '--dir', dir, ...extra], options),
    runCli(['dr', 'status', '--topology', path.join(dir, 'topology.yaml'), ...extra], options),
  ]);
}

/** What two `dr status --json` answers taken a moment apart share: roles, generations, settings, not LSNs or times. */
export function stableStatus(json: string): unknown {
  const status = JSON.parse(json) as DrStatus;
  return {
    health: status.health,
    primary: status.primary,
    writable: status.writable,
    fenced: status.fenced,
    splitBrain: status.splitBrain,
    highestGeneration: status.highestGeneration,
    replication: status.replication,
    slots: status.slots.map((s) => s.name),
    servers: status.servers.map((s) => [s.region, s.role, s.fenced, s.timeline, s.generation, s.upstream, s.syncState]),
    fleet: status.fleet?.nodes.map((n) => [n.nodeId, n.region]).sort() ?? status.fleetError,
  };
}

/** The lines of the text form that do not move between two runs: the primary, the mode, each server's role. */
export const stableLines = (stdout: string): string[] => stdout.split('\n').filter((l) => /^(primary|replication|FENCED|SPLIT BRAIN):/.test(l) || /^region-\d+\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 3).join(' '));
