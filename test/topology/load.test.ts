import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology, parseTopology, writeTopology } from '../../src/topology/load.js';
import { streamingConninfo } from '../../src/topology/model.js';

const parse = (text: string) => parseTopology(text, 't.yaml');
const problem = (text: string): string => {
  try {
    parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parsed without a problem');
};

const TWO_REGIONS = `
regions:
  - name: eu
    postgres: { url: "postgres://postgres@10.0.1.5:5432/verdict" }
    nodes: [http://10.0.1.10:8080]
  - name: us-east
    postgres:
      url: postgres://admin@10.0.2.5/verdict
      local: { dataDir: /var/lib/postgresql/16/main, binDir: /usr/lib/postgresql/16/bin }
`;

describe('topology loader', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'verdict-topology-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads regions with their defaults: standby name from the region name, local port from the URL, no nodes', () => {
    const topology = parse(TWO_REGIONS);
    expect(topology.primary).toBeUndefined();
    expect(topology.replication).toBeUndefined();
    expect(topology.regions).toEqual([
      { name: 'eu', postgres: { url: 'postgres://postgres@10.0.1.5:5432/verdict', standbyName: 'eu' }, nodes: ['http://10.0.1.10:8080'] },
      {
        name: 'us-east',
        postgres: { url: 'postgres://admin@10.0.2.5/verdict', standbyName: 'us_east', local: { dataDir: '/var/lib/postgresql/16/main', binDir: '/usr/lib/postgresql/16/bin', port: 5432 } },
        nodes: [],
      },
    ]);
    expect(streamingConninfo(topology.regions[1]!, topology.regions[0]!)).toBe('host=10.0.2.5 port=5432 user=admin application_name=eu');
  });

  it('writes what it reads back unchanged', () => {
    const topology = parse(`primary: eu\nreplication: { mode: quorum, standbys: 2 }\n${TWO_REGIONS}`);
    const file = path.join(dir, 'round-trip.yaml');
    writeTopology(file, topology, 'a comment');
    expect(loadTopology(file)).toEqual(topology);
  });

  it('names the line of a YAML syntax error', () => {
    expect(problem('regions:\n  - name: eu\n   postgres: [')).toMatch(/^t\.yaml:\d+:\d+: not valid YAML \(.+\)$/);
    expect(problem('regions: []\nregions: []')).toBe('t.yaml:2:1: not valid YAML (Map keys must be unique)');
  });

  it('names the missing field', () => {
    expect(problem('')).toBe('t.yaml: the file is empty; it needs at least regions');
    expect(problem('primary: eu')).toBe('t.yaml: regions: missing');
    expect(problem('regions: []')).toBe('t.yaml: regions: must list at least one');
    expect(problem('regions:\n  - name: eu\n    postgres: {}')).toBe('t.yaml: regions[0].postgres.url: missing');
    expect(problem('regions:\n  - postgres: { url: "postgres://h/verdict" }')).toBe('t.yaml: regions[0].name: missing');
    expect(problem('regions:\n  - name: eu\n    postgres: { url: "postgres://h/v", local: { port: 5432 } }')).toBe('t.yaml: regions[0].postgres.local.dataDir: missing');
  });

  it('refuses unknown keys, saying which keys the place takes', () => {
    expect(problem('regions:\n  - name: eu\n    postgres: { url: "postgres://h/v", dataDir: /x }')).toBe(
      't.yaml: regions[0].postgres.dataDir: unknown key (regions[0].postgres takes url, standbyName, primaryConninfo, local)',
    );
    expect(problem('region:\n  - name: eu')).toBe('t.yaml: region: unknown key (the file takes version, primary, replication, regions)');
  });

  it('refuses values of the wrong kind or out of range', () => {
    expect(problem('- name: eu')).toBe('t.yaml: must be a mapping with regions (and optionally version, primary, replication)');
    expect(problem('regions: { name: eu }')).toBe('t.yaml: regions: must be a list');
    expect(problem('regions:\n  - name: eu\n    postgres: { url: "postgres://h/v", local: { dataDir: /d, port: "x" } }')).toBe('t.yaml: regions[0].postgres.local.port: must be an integer');
    expect(problem('replication: { mode: fast, standbys: 1 }\nregions: [{ name: eu, postgres: { url: "postgres://h/v" } }]')).toBe('t.yaml: replication.mode: must be sync, quorum, async');
    expect(problem('replication: { mode: sync, standbys: 0 }\nregions: [{ name: eu, postgres: { url: "postgres://h/v" } }]')).toBe('t.yaml: replication.standbys: must be at least 1 for sync replication');
    expect(problem('version: 2\nregions: [{ name: eu, postgres: { url: "postgres://h/v" } }]')).toMatch(/^t\.yaml: version: must be 1$/);
  });

  it('checks what the schema cannot: URLs, names, duplicates, the primary', () => {
    const region = (name: string, url = 'postgres://h/v', extra = '') => `  - name: ${name}\n    postgres: { url: "${url}"${extra} }\n`;
    expect(problem(`regions:\n${region('eu', 'http://h/v')}`)).toBe("t.yaml: regions[0].postgres.url: 'http://h/v' must start with postgres:// or postgresql://");
    expect(problem(`regions:\n${region('eu', 'postgres://u:secret@a:1,b:2/v')}`)).toMatch(/^t\.yaml: regions\[0\]\.postgres\.url: 'postgres:\/\/u:\*\*\*@a:1,b:2\/v' must name one server/);
    expect(problem(`regions:\n${region('eu', 'postgres://h')}`)).toMatch(/regions\[0\]\.postgres\.url: .* names no database/);
    expect(problem(`regions:\n${region('eu')}${region('eu')}`)).toBe("t.yaml: regions[1].name: 'eu' is also regions[0]'s");
    expect(problem(`regions:\n${region('eu-1')}${region('eu_1')}`)).toBe("t.yaml: regions[1].postgres.standbyName: 'eu_1' is also regions[0]'s");
    expect(problem(`regions:\n${region('eu', 'postgres://h/v', ', standbyName: Eu-1')}`)).toMatch(/^t\.yaml: regions\[0\]\.postgres\.standbyName: 'Eu-1' must be lower-case/);
    expect(problem(`regions:\n  - name: eu\n    postgres: { url: "postgres://h/v" }\n    nodes: [ftp://x]\n`)).toBe("t.yaml: regions[0].nodes[0]: 'ftp://x' is not an http:// or https:// URL");
    expect(problem(`primary: us\nregions:\n${region('eu')}`)).toBe("t.yaml: primary: 'us' is not one of the regions (eu)");
  });

  it('reads a region\'s Patroni REST API, keeps it through a write, and checks its URLs', () => {
    const withPatroni = `${TWO_REGIONS}    patroni:\n      restUrls: [http://10.0.2.11:8008, "http://10.0.2.12:8008/"]\n`;
    const topology = parse(withPatroni);
    expect(topology.regions[0]!.patroni).toBeUndefined();
    expect(topology.regions[1]!.patroni).toEqual({ restUrls: ['http://10.0.2.11:8008', 'http://10.0.2.12:8008/'] });
    const file = path.join(dir, 'patroni.yaml');
    writeTopology(file, topology);
    expect(loadTopology(file)).toEqual(topology);

    const region = (patroni: string) => `regions:\n  - name: eu\n    postgres: { url: "postgres://h/v" }\n    patroni: ${patroni}\n`;
    expect(problem(region('{}'))).toBe('t.yaml: regions[0].patroni.restUrls: missing');
    expect(problem(region('{ restUrls: [] }'))).toBe('t.yaml: regions[0].patroni.restUrls: must list at least one');
    expect(problem(region('{ restUrls: [http://h:8008], scope: x }'))).toBe('t.yaml: regions[0].patroni.scope: unknown key (regions[0].patroni takes restUrls)');
    expect(problem(region('[http://h:8008]'))).toBe('t.yaml: regions[0].patroni: must be a mapping');
    expect(problem(region('{ restUrls: ["h:8008"] }'))).toBe("t.yaml: regions[0].patroni.restUrls[0]: 'h:8008' is not an http:// or https:// URL");
    expect(problem(region('{ restUrls: ["http://u:secret@h:8008"] }'))).toBe(
      "t.yaml: regions[0].patroni.restUrls[0]: 'http://u:***@h:8008' must not carry a user or password: the GET endpoints read need none",
    );
    expect(problem(region('{ restUrls: ["http://h:8008/cluster"] }'))).toBe("t.yaml: regions[0].patroni.restUrls[0]: 'http://h:8008/cluster' must be the API's root (http://host:8008), without a path");
    expect(problem(region('{ restUrls: ["http://h:8008", "http://h:8008/"] }'))).toBe("t.yaml: regions[0].patroni.restUrls[1]: 'http://h:8008/' is also regions[0].patroni.restUrls[0]");
    expect(problem('regions:\n  - name: eu\n    postgres: { url: "postgres://h/v" }\n    patron: {}\n')).toBe(
      't.yaml: regions[0].patron: unknown key (regions[0] takes name, postgres, nodes, patroni, pgbackrest)',
    );
  });

  it("reads a region's pgBackRest stanza and configuration file, keeps them through a write, and checks them", () => {
    const topology = parse(`${TWO_REGIONS}    pgbackrest: { config: /etc/pgbackrest/region-b.conf }\n`);
    expect(topology.regions[0]!.pgbackrest).toBeUndefined();
    expect(topology.regions[1]!.pgbackrest).toEqual({ stanza: 'verdict', config: '/etc/pgbackrest/region-b.conf' });
    const file = path.join(dir, 'pgbackrest.yaml');
    writeTopology(file, topology);
    expect(loadTopology(file)).toEqual(topology);
    expect(parse(`${TWO_REGIONS}    pgbackrest: {}\n`).regions[1]!.pgbackrest).toEqual({ stanza: 'verdict' });
    expect(parse(`${TWO_REGIONS}    pgbackrest: { stanza: main-1 }\n`).regions[1]!.pgbackrest).toEqual({ stanza: 'main-1' });

    const region = (pgbackrest: string) => `regions:\n  - name: eu\n    postgres: { url: "postgres://h/v" }\n    pgbackrest: ${pgbackrest}\n`;
    expect(problem(region('{ config: pgbackrest.conf }'))).toBe("t.yaml: regions[0].pgbackrest.config: 'pgbackrest.conf' must be an absolute path (the file on the machine that runs dr backup-status)");
    expect(problem(region('{ stanza: "a b" }'))).toBe("t.yaml: regions[0].pgbackrest.stanza: 'a b' must be letters, digits, '.', '_' or '-' (at most 64)");
    expect(problem(region('{ stanza: "" }'))).toBe('t.yaml: regions[0].pgbackrest.stanza: must not be empty');
    expect(problem(region('{ repo: /r }'))).toBe('t.yaml: regions[0].pgbackrest.repo: unknown key (regions[0].pgbackrest takes stanza, config)');
  });

  it('says when the file is missing or a folder', () => {
    expect(() => loadTopology(path.join(dir, 'nope.yaml'))).toThrow(`${path.join(dir, 'nope.yaml')}: no such file`);
    expect(() => loadTopology(dir)).toThrow(`${dir}: is a folder, not a topology file`);
  });
});
