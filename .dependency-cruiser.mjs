/**
 * The layering of src/, checked by `npm run depcheck` (dependency-cruiser). Lower layers never
 * import higher ones, so no two folders import each other:
 *
 *   errors.ts, version.ts, lib/        the vocabulary everything shares
 *   compiled/                          decision graphs compiled to JavaScript (pure: no I/O, no state)
 *   db/, local-pg/, observability/,    infrastructure: PostgreSQL access, the local server, metrics,
 *   patroni/                           Patroni's REST API
 *   data-plane/                        serving evaluations from memory (no control-plane code)
 *   control-plane/                          the control plane: services, stores, their routes
 *   http/, services.ts, config.ts      the app: plugins, auth, composition of the services
 *   server.ts, cli/, dr/, lab/, chaos/, entry points and tools (patroni-lab/: the loopback Patroni
 *   patroni-lab/                       lab of the test harness)
 *
 * Type-only imports count: a lib file that names a feature's type depends on that feature.
 */
const FOUNDATION = '^src/(lib/|errors\\.ts$|version\\.ts$)';
const TOOLS = '^src/(cli|dr|lab|chaos|patroni-lab)/|^src/server\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files in src/ must not import each other in a loop (type-only loops included).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'foundation-imports-nothing-above',
      severity: 'error',
      comment: 'lib/, errors.ts and version.ts are what everything builds on; they import only each other.',
      from: { path: FOUNDATION },
      to: { path: '^src/', pathNot: FOUNDATION },
    },
    {
      name: 'compiled-stands-alone',
      severity: 'error',
      comment: 'The compiler is pure computation over a graph and a context: it imports nothing of Verdict but its own files.',
      from: { path: '^src/compiled/' },
      to: { path: '^src/', pathNot: '^src/compiled/' },
    },
    {
      name: 'infrastructure-below-the-planes',
      severity: 'error',
      comment: 'db/, local-pg/, observability/ and patroni/ know nothing of the control plane, the data plane, the app or the tools.',
      from: { path: '^src/(db|local-pg|observability|patroni)/' },
      to: { path: `^src/(control-plane|data-plane|http)/|^src/(services|config)\\.ts$|${TOOLS}` },
    },
    {
      name: 'local-pg-stands-alone',
      severity: 'error',
      comment: 'local-pg runs a PostgreSQL server; it does not use the database layer that talks to one.',
      from: { path: '^src/local-pg/' },
      to: { path: '^src/db/' },
    },
    {
      name: 'data-plane-without-control-plane',
      severity: 'error',
      comment: 'A node serves from memory through a narrow read model: no control-plane service, store, container or config parsing.',
      from: { path: '^src/data-plane/' },
      to: { path: `^src/control-plane/|^src/(services|config)\\.ts$|${TOOLS}` },
    },
    {
      name: 'control-plane-below-the-app',
      severity: 'error',
      comment: 'Features get their settings and collaborators passed in: no config parsing, no entry points or tools.',
      from: { path: '^src/control-plane/' },
      to: { path: `^src/config\\.ts$|${TOOLS}` },
    },
    {
      name: 'control-plane-not-http',
      severity: 'error',
      comment: 'The HTTP app (src/http) registers the control-plane features; they, routes included, do not import it back.',
      from: { path: '^src/control-plane/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'http-below-the-tools',
      severity: 'error',
      comment: 'The HTTP app is started by server.ts and the CLI; it does not import them, nor the DR and lab tools.',
      from: { path: '^src/http/' },
      to: { path: TOOLS },
    },
    {
      name: 'dr-not-lab',
      severity: 'error',
      comment: 'DR works against a topology (a file, or one a lab wrote), not the lab\'s internals.',
      from: { path: '^src/dr/' },
      to: { path: '^src/lab/' },
    },
    {
      name: 'lab-not-dr',
      severity: 'error',
      comment: 'The lab builds a topology; it does not reach into DR (replication mode, promotion).',
      from: { path: '^src/lab/' },
      to: { path: '^src/dr/' },
    },
    {
      name: 'only-the-cli-imports-the-cli',
      severity: 'error',
      comment: 'cli/ is the outermost layer.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'patroni-lab-stands-alone',
      comment: 'The Patroni lab drives Patroni, etcd and HAProxy; it does not reach into the DR toolkit, the lab or the CLI.',
      severity: 'error',
      from: { path: '^src/patroni-lab/', pathNot: '^src/patroni-lab/harness/' },
      to: { path: '^src/(dr|lab|cli|chaos|drill)/' },
    },
    {
      name: 'patroni-harness-measures-from-outside',
      comment: "npm run test:patroni measures like the drill and the chaos suite (their load, writer and set checker); it drives Verdict through its HTTP API and CLI processes, never the lab's or the CLI's code.",
      severity: 'error',
      from: { path: '^src/patroni-lab/harness/' },
      to: { path: '^src/(lab|cli)/' },
    },
    {
      name: 'nothing-imports-chaos',
      severity: 'error',
      comment: 'The chaos suite is a tool run on its own (npm run test:chaos); only the Patroni harness, another such tool, reuses its project and accounting.',
      from: { path: '^src/', pathNot: '^src/(chaos|patroni-lab/harness)/' },
      to: { path: '^src/chaos/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Imports are written with .js extensions (NodeNext); resolve them to the .ts sources.
    enhancedResolveOptions: { extensions: ['.ts', '.js'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
