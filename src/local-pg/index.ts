export { findPgBinaries, PgBinariesNotFoundError, type PgBinaries } from './binaries.js';
export { LocalPgCluster, type ClusterOptions, type StopMode } from './cluster.js';
export { LocalPgError } from './errors.js';
export { childrenOf, isAlive } from './pids.js';
export { resolveDataDir } from './data-dir.js';
export { freePort } from './ports.js';
export { pgToolUser, type PgOsUser } from './os-user.js';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';
