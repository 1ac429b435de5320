import { existsSync } from 'node:fs';
import { isAlive } from '../local-pg/index.js';
import { loadTopology } from '../topology/load.js';
import type { DrTarget, TopologyOwner } from '../topology/target.js';
import { nodeEnv } from './lab.js';
import { spawnNode, waitForNode } from './processes.js';
import { findRegion, readLabState, topologyFile, writeLabState } from './state.js';

/**
 * The lab as a DR target: its topology.yaml read as `--topology` reads any file (written first
 * for a lab from before there was one), its admin token, and the lab as the owner that keeps
 * lab.json and topology.yaml current and starts its nodes again.
 */
export function labTarget(dir: string): DrTarget {
  const state = readLabState(dir);
  if (!existsSync(topologyFile(state.dir))) writeLabState(state);
  return { topology: loadTopology(topologyFile(state.dir)), adminToken: state.adminToken, owner: labOwner(state.dir) };
}

function labOwner(dir: string): TopologyOwner {
  // Each change reads lab.json afresh: other commands (lab start, a node restart) write it too.
  return {
    primaryMoved: (region) => {
      const state = readLabState(dir);
      state.primaryRegion = region;
      writeLabState(state);
    },
    replicationAsked: (setting) => {
      const state = readLabState(dir);
      state.replication = { mode: setting.mode, standbys: setting.standbys };
      writeLabState(state);
    },
    downNodes: (name) => {
      const state = readLabState(dir);
      const region = findRegion(state, name);
      const down = region.nodes.filter((n) => n.pid === null || !isAlive(n.pid));
      if (down.length === 0) return undefined;
      return {
        count: down.length,
        start: async () => {
          for (const node of down) node.pid = spawnNode(node, nodeEnv(state, region, node), region.netns);
          writeLabState(state);
          await Promise.all(down.map((node) => waitForNode(node)));
        },
      };
    },
  };
}
