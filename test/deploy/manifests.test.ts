import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Cluster } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config.js';
import { splitHosts } from '../../src/db/hosts.js';
import { ROOT, envOf, healthcheckOf, readDockerfile } from './dockerfile.js';
import { typeCheckObjects } from './typecheck.js';

const DIR = path.join(ROOT, 'deploy/kubernetes');
const REGIONS = ['region-a', 'region-b'] as const;
/** What the downward API would give the fields the Deployment uses. */
const FIELD_REFS: Record<string, string> = { 'metadata.name': 'verdict-7d9c8b6f4-x2x9q' };

/** The model (JSON schema validation) and TypeScript interface of each kind the manifests use; any other kind fails. */
const MODELS: Record<string, { model: (data: any) => { validate(): void }; type: string }> = {
  'v1/Namespace': { model: (data) => new Namespace(data), type: "import('kubernetes-models/v1/Namespace').INamespace" },
  'v1/ConfigMap': { model: (data) => new ConfigMap(data), type: "import('kubernetes-models/v1/ConfigMap').IConfigMap" },
  'v1/Secret': { model: (data) => new Secret(data), type: "import('kubernetes-models/v1/Secret').ISecret" },
  'v1/Service': { model: (data) => new Service(data), type: "import('kubernetes-models/v1/Service').IService" },
  'apps/v1/Deployment': { model: (data) => new Deployment(data), type: "import('kubernetes-models/apps/v1/Deployment').IDeployment" },
  'policy/v1/PodDisruptionBudget': {
    model: (data) => new PodDisruptionBudget(data),
    type: "import('kubernetes-models/policy/v1/PodDisruptionBudget').IPodDisruptionBudget",
  },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: (data) => new HorizontalPodAutoscaler(data),
    type: "import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler').IHorizontalPodAutoscaler",
  },
  'postgresql.cnpg.io/v1/Cluster': {
    model: (data) => new Cluster(data),
    type: "import('@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster').ICluster",
  },
};

interface Manifest {
  readonly file: string; // relative to deploy/kubernetes
  readonly object: any;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

/** Every document of every YAML file under deploy/kubernetes, and the parser's errors and warnings. */
function loadManifests(): { manifests: Manifest[]; problems: string[] } {
  const problems: string[] = [];
  const manifests = yamlFiles(DIR).flatMap((full) => {
    const file = path.relative(DIR, full);
    return parseAllDocuments(readFileSync(full, 'utf8')).flatMap((doc) => {
      problems.push(...[...doc.errors, ...doc.warnings].map((e) => `${file}: ${e.message}`));
      const object = doc.toJS();
      return object === null ? [] : [{ file, object }];
    });
  });
  return { manifests, problems };
}

const { manifests, problems: parseProblems } = loadManifests();
const typeOf = (m: Manifest) => `${m.object.apiVersion}/${m.object.kind}`;
/** What `kubectl apply` in one region sees: common/ plus that region's folder. */
const inRegion = (region: string) => manifests.filter((m) => m.file.startsWith('common/') || m.file.startsWith(`${region}/`));
const one = (list: Manifest[], type: string, name?: string): any => {
  const found = list.filter((m) => typeOf(m) === type && (name === undefined || m.object.metadata.name === name));
  expect(found.map((m) => m.file), `${type} ${name ?? ''}`).toHaveLength(1);
  return found[0]!.object;
};

const deployment = one(manifests, 'apps/v1/Deployment', 'verdict');
const pod = deployment.spec.template.spec;
const container = pod.containers.find((c: any) => c.name === 'verdict');
const healthRoutes = readFileSync(path.join(ROOT, 'src/control-plane/health/routes.ts'), 'utf8');
const configSource = readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8');
const dockerfile = readDockerfile();
const runtimeStage = dockerfile.stages.at(-1)!;

/** The container port a probe or Service names (a number, or a port name). */
const containerPort = (port: number | string): number | undefined =>
  typeof port === 'number' ? container.ports.find((p: any) => p.containerPort === port)?.containerPort : container.ports.find((p: any) => p.name === port)?.containerPort;

/** The environment a region's pods get: ConfigMap and Secret (envFrom), then `env`, with `replace` for placeholders. */
function podEnvironment(region: string, replace: Record<string, string> = {}): Record<string, string> {
  const list = inRegion(region);
  const env: Record<string, string> = {};
  for (const from of container.envFrom) {
    if (from.configMapRef) Object.assign(env, one(list, 'v1/ConfigMap', from.configMapRef.name).data);
    if (from.secretRef) Object.assign(env, one(list, 'v1/Secret', from.secretRef.name).stringData);
  }
  // Filled in by Kubernetes; a pod name here.
  for (const variable of container.env ?? []) env[variable.name] = variable.value ?? FIELD_REFS[variable.valueFrom.fieldRef.fieldPath]!;
  return { ...env, ...replace };
}

describe('deploy/kubernetes', () => {
  it('parses: YAML without errors, warnings or duplicate keys', () => {
    expect(parseProblems).toEqual([]);
    expect(manifests.length).toBeGreaterThan(0);
  });

  it('holds only kinds the test can validate, each valid against its schema (kubernetes-models, CloudNativePG CRD models)', () => {
    for (const manifest of manifests) {
      const known = MODELS[typeOf(manifest)];
      expect(known, `${manifest.file}: ${typeOf(manifest)}`).toBeDefined();
      expect(() => known!.model(manifest.object).validate(), `${manifest.file}: ${manifest.object.metadata?.name}`).not.toThrow();
    }
    // What each region applies: the server's objects once, its own settings and database.
    for (const region of REGIONS) {
      const types = inRegion(region).map(typeOf).sort();
      expect(types).toEqual(
        [
          'apps/v1/Deployment',
          'autoscaling/v2/HorizontalPodAutoscaler',
          'policy/v1/PodDisruptionBudget',
          'postgresql.cnpg.io/v1/Cluster',
          'v1/ConfigMap',
          'v1/Namespace',
          'v1/Secret',
          'v1/Secret',
          'v1/Service',
        ].sort(),
      );
    }
  });

  // The JSON schemas accept fields they do not know (as the API server does, with a warning at
  // most): a misspelt optional field would be ignored in silence. TypeScript's excess property
  // check on the models' interfaces reports it.
  it('has no field the models do not know (TypeScript excess property check)', () => {
    const objects = manifests.map((m) => ({ label: `${m.file}: ${m.object.kind} ${m.object.metadata?.name}`, type: MODELS[typeOf(m)]!.type, value: m.object }));
    expect(typeCheckObjects(ROOT, objects)).toEqual([]);
    const misspelt = structuredClone(deployment);
    misspelt.spec.template.spec.containers[0].readinesProbe = misspelt.spec.template.spec.containers[0].readinessProbe;
    const clusterTypo = structuredClone(one(manifests, 'postgresql.cnpg.io/v1/Cluster', 'verdict-db-region-b'));
    clusterTypo.spec.replica.enable = true;
    const found = typeCheckObjects(ROOT, [
      { label: 'misspelt', type: MODELS['apps/v1/Deployment']!.type, value: misspelt },
      { label: 'cluster', type: MODELS['postgresql.cnpg.io/v1/Cluster']!.type, value: clusterTypo },
    ]);
    expect(found).toEqual([expect.stringMatching(/^misspelt: .*"readinesProbe".*'IContainer'/), expect.stringMatching(/^cluster: .*"enable".*'IReplicaClusterConfiguration'/)]);
  }, 60_000);

  it('validation rejects what is wrong (the schema checks are not vacuous)', () => {
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].ports[0].containerPort = '8080';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort must be integer/);
    const cluster = structuredClone(one(manifests, 'postgresql.cnpg.io/v1/Cluster', 'verdict-db-region-a'));
    cluster.spec.postgresql.synchronous.method = 'sometimes';
    expect(() => new Cluster(cluster).validate()).toThrow(/method/);
    const hpa = structuredClone(one(manifests, 'autoscaling/v2/HorizontalPodAutoscaler'));
    delete hpa.spec.scaleTargetRef;
    expect(() => new HorizontalPodAutoscaler(hpa).validate()).toThrow(/scaleTargetRef/);
  });

  it('puts everything in the verdict namespace', () => {
    expect(one(manifests, 'v1/Namespace').metadata.name).toBe('verdict');
    for (const manifest of manifests.filter((m) => m.object.kind !== 'Namespace')) {
      expect(manifest.object.metadata.namespace, `${manifest.file}: ${manifest.object.metadata.name}`).toBe('verdict');
    }
  });

  it('probes real health routes on the container port: startup and liveness /health/live, readiness /health/ready', () => {
    expect(healthRoutes).toMatch(/app\.get\(\s*'\/health\/live'/);
    expect(healthRoutes).toMatch(/'\/health\/ready',/);
    expect(container.startupProbe.httpGet.path).toBe('/health/live');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      expect(containerPort(probe.httpGet.port)).toBe(8080);
      expect(probe.timeoutSeconds).toBeLessThanOrEqual(probe.periodSeconds);
    }
    // Liveness only after a start allowed at least a minute; readiness reacts faster than liveness.
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBeGreaterThanOrEqual(60);
    expect(container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold).toBeLessThan(
      container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold,
    );
  });

  it('agrees with the image: port, HEALTHCHECK on /health/ready, non-root user, data directory', () => {
    const healthcheck = healthcheckOf(runtimeStage)!;
    expect(/'(\/health\/[^']*)'/.exec(healthcheck.command.join(' '))?.[1]).toBe('/health/ready');
    const exposed = runtimeStage.instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => Number(i.args));
    expect(container.ports.map((p: any) => p.containerPort)).toEqual(exposed);
    const [uid, gid] = runtimeStage.instructions.filter((i) => i.keyword === 'USER').at(-1)!.args.split(':').map(Number);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid });
    expect(container.args).toEqual(['serve']); // the image's ENTRYPOINT is node bin/verdict.js
    for (const region of REGIONS) {
      const env = podEnvironment(region);
      expect(Number(env.PORT), region).toBe(8080);
      expect(env.HOST, region).toBe(envOf(runtimeStage).HOST);
      expect(env.VERDICT_DATA_DIR, region).toBe(envOf(runtimeStage).VERDICT_DATA_DIR);
    }
  });

  it('runs read-only, unprivileged, with the only paths it writes mounted writable', () => {
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod.automountServiceAccountToken).toBe(false);
    const mounted = (dir: string) =>
      container.volumeMounts.some((m: any) => (dir === m.mountPath || dir.startsWith(`${m.mountPath}/`)) && pod.volumes.find((v: any) => v.name === m.name)?.emptyDir);
    for (const region of REGIONS) {
      const config = loadConfig(podEnvironment(region, { VERDICT_ADMIN_TOKEN: 'x'.repeat(24) }), '/app');
      // The serving snapshot is what the server writes with an external database (snapshot.ts).
      expect(mounted(config.snapshotDir), `${region}: ${config.snapshotDir}`).toBe(true);
    }
    expect(mounted('/tmp')).toBe(true);
  });

  it('does not let Kubernetes service links collide with VERDICT_* settings', () => {
    // A Service named verdict-metrics would otherwise set VERDICT_METRICS_PORT=tcp://...
    expect(pod.enableServiceLinks).toBe(false);
  });

  it('gives SIGTERM a 10 s shutdown bound after the preStop pause', () => {
    const [command, seconds] = container.lifecycle.preStop.exec.command;
    expect(command).toBe('sleep');
    // The server's own bound once src/config.ts has one (shutdownTimeoutMs), else the 10 s allowed here.
    const config: Record<string, unknown> = { ...loadConfig(podEnvironment('region-a', { VERDICT_ADMIN_TOKEN: 'x'.repeat(24) }), '/app') };
    const boundMs = typeof config.shutdownTimeoutMs === 'number' ? config.shutdownTimeoutMs : 10_000;
    expect(pod.terminationGracePeriodSeconds).toBe(Number(seconds) + boundMs / 1000);
  });

  it('sizes engine hosts to a Guaranteed, whole-CPU limit', () => {
    const { requests, limits } = container.resources;
    expect(requests).toEqual(limits);
    expect(Number.isInteger(Number(limits.cpu))).toBe(true);
    for (const region of REGIONS) {
      expect(Number(podEnvironment(region).VERDICT_ENGINE_HOSTS), region).toBe(Number(limits.cpu));
    }
  });

  it('keeps 3 replicas, at most one voluntarily down, scaling on CPU from 3', () => {
    const labels = deployment.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels)) expect(labels[key]).toBe(value);
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);

    const service = one(manifests, 'v1/Service', 'verdict');
    for (const [key, value] of Object.entries(service.spec.selector)) expect(labels[key]).toBe(value);
    for (const port of service.spec.ports) expect(containerPort(port.targetPort)).toBe(8080);

    const pdb = one(manifests, 'policy/v1/PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(pdb.spec.maxUnavailable ?? deployment.spec.replicas - pdb.spec.minAvailable).toBe(1);

    const hpa = one(manifests, 'autoscaling/v2/HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBe(deployment.spec.replicas);
    expect(hpa.spec.metrics).toEqual([expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) })]);
  });

  describe.each(REGIONS)('%s settings', (region) => {
    const list = inRegion(region);
    const credentials = one(list, 'v1/Secret', 'verdict-db-app-credentials');

    it('names only variables src/config.ts reads, with values it accepts', () => {
      const read = new Set(configSource.match(/\b(?:HOST|PORT|LOG_LEVEL|NODE_ENV|DATABASE_URL|DATABASE_READ_URL|VERDICT_[A-Z0-9_]+)\b/g));
      for (const name of Object.keys(podEnvironment(region))) expect(read.has(name), name).toBe(true);
      const config = loadConfig(podEnvironment(region, { VERDICT_ADMIN_TOKEN: 'x'.repeat(24) }), '/app');
      expect(config).toMatchObject({ host: '0.0.0.0', port: 8080, region, engineHosts: 2, functionConcurrency: 1, nodeId: FIELD_REFS['metadata.name'] });
    });

    it('ships placeholders that cannot be used as they are', () => {
      const secret = one(list, 'v1/Secret', 'verdict');
      expect(credentials.type).toBe('kubernetes.io/basic-auth');
      expect(credentials.stringData.password).toMatch(/^REPLACE-ME/);
      expect(secret.stringData.VERDICT_ADMIN_TOKEN).toMatch(/^REPLACE-ME/);
      // Shorter than an admin token may be: a forgotten placeholder stops the server at start.
      expect(() => loadConfig(podEnvironment(region), '/app')).toThrow(ConfigError);
      expect(() => loadConfig(podEnvironment(region), '/app')).toThrow(/VERDICT_ADMIN_TOKEN must be at least 24 characters/);
    });

    it("connects as the cluster's application role, to databases in both regions", () => {
      const cluster = one(manifests, 'postgresql.cnpg.io/v1/Cluster', 'verdict-db-region-a');
      const env = podEnvironment(region);
      const hosts = splitHosts(env.DATABASE_URL!).map((url) => new URL(url));
      expect(hosts.map((u) => u.hostname.split('.')[0]!.replace(/-(rw|external)$/, ''))).toEqual(
        expect.arrayContaining(['verdict-db-region-a', 'verdict-db-region-b']),
      );
      for (const url of [...hosts, ...(env.DATABASE_READ_URL ? [new URL(env.DATABASE_READ_URL)] : [])]) {
        expect(url.username).toBe(cluster.spec.bootstrap.initdb.owner);
        expect(url.username).toBe(credentials.stringData.username);
        expect(decodeURIComponent(url.password)).toBe(credentials.stringData.password);
        expect(url.pathname).toBe(`/${cluster.spec.bootstrap.initdb.database}`);
        expect(url.searchParams.get('sslmode')).toBe('require');
        // A host in this region is a CloudNativePG -rw service; one in the other, its load balancer's name.
        const local = url.hostname.endsWith('.verdict.svc');
        const clusters = manifests.filter((m) => m.object.kind === 'Cluster').map((m) => m.object);
        const known = local
          ? clusters.map((c) => `${c.metadata.name}-rw.verdict.svc`)
          : clusters.flatMap((c) => c.spec.certificates.serverAltDNSNames);
        expect(known, url.hostname).toContain(url.hostname);
      }
    });
  });

  describe('CloudNativePG', () => {
    const primary = one(manifests, 'postgresql.cnpg.io/v1/Cluster', 'verdict-db-region-a');
    const replica = one(manifests, 'postgresql.cnpg.io/v1/Cluster', 'verdict-db-region-b');

    it('region A: 3 instances with synchronous replication inside the region', () => {
      expect(primary.spec.instances).toBe(3);
      const sync = primary.spec.postgresql.synchronous;
      expect(['any', 'first']).toContain(sync.method);
      expect(sync.number).toBeGreaterThanOrEqual(1);
      expect(sync.number).toBeLessThan(primary.spec.instances);
      expect(primary.spec.replica).toBeUndefined();
      expect(primary.spec.bootstrap.initdb.secret.name).toBe('verdict-db-app-credentials');
    });

    it('region B: a replica cluster streaming from region A, bootstrapped by pg_basebackup', () => {
      expect(replica.spec.replica.enabled).toBe(true);
      const source = replica.spec.replica.source;
      expect(replica.spec.bootstrap.pg_basebackup.source).toBe(source);
      expect(source).toBe(primary.metadata.name);
      const external = replica.spec.externalClusters.find((c: any) => c.name === source);
      // Reached through region A's load balancer, under a name region A's certificate carries.
      expect(primary.spec.certificates.serverAltDNSNames).toContain(external.connectionParameters.host);
      expect(external.connectionParameters).toMatchObject({ user: 'streaming_replica', sslmode: 'verify-full' });
      expect(external.sslCert.name).toBe(`${source}-replication`);
      expect(external.sslRootCert.name).toBe(`${source}-ca`);
      // A physical copy: same PostgreSQL image; and ready to take over: same size and settings.
      expect(replica.spec.imageName).toBe(primary.spec.imageName);
      expect(replica.spec.instances).toBe(primary.spec.instances);
      expect(replica.spec.postgresql).toEqual(primary.spec.postgresql);
      expect(replica.spec.bootstrap.pg_basebackup.secret.name).toBe(primary.spec.bootstrap.initdb.secret.name);
    });

    it('keeps the application role the same in both regions', () => {
      const [a, b] = REGIONS.map((region) => one(inRegion(region), 'v1/Secret', 'verdict-db-app-credentials'));
      expect(a.stringData).toEqual(b.stringData);
      expect(replica.spec.bootstrap.pg_basebackup).toMatchObject({ database: primary.spec.bootstrap.initdb.database, owner: primary.spec.bootstrap.initdb.owner });
    });
  });
});
