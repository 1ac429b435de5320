import type { Logger } from 'pino';
import type { Database } from '../src/db/database.js';
import { createDataPlane, createEngine, type DataPlane } from '../src/data-plane/data-plane.js';
import type { PackagesOptions } from '../src/features/packages/service.js';
import { Metrics } from '../src/observability/metrics.js';
import { controlPlaneLink } from '../src/features/serving/control-plane-link.js';
import { createServices, type Services } from '../src/services.js';

/** Services and a data plane on `db`, wired as `verdict serve` wires them (engine hosts included). */
export function benchNode(db: Database, logger: Logger, options: { packages?: PackagesOptions } = {}): { services: Services; dataPlane: DataPlane } {
  const metrics = new Metrics();
  const engine = createEngine({ httpAllowHosts: [] }, logger, metrics);
  const services = createServices(db, { checker: engine, ...(options.packages ? { packages: options.packages } : {}) });
  const dataPlane = createDataPlane(controlPlaneLink(services), { syncIntervalMs: 250, batchMaxItems: 1000 }, logger, { engine, metrics });
  return { services, dataPlane };
}
