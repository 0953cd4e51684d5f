# syntax=docker/dockerfile:1
# One image per service of the monorepo: build with
#   docker build -f infra/docker/service.Dockerfile --build-arg APP=token-service --build-arg PORT=8080 -t trust-broker/token-service .
# APP is the folder under apps/ (token-service, issuer-registry, audit-worker); PORT its
# default port (8080, 8081, 8082), used by HEALTHCHECK. The same image runs
# `node dist/main.js migrate` (the migration step) and `node dist/main.js` (the service).
# Node.js 24 (the current LTS) on Debian 12, pinned to a release. NPM_CONFIG_REGISTRY
# points npm at a mirror (the lockfile's registry.npmjs.org URLs are rewritten to it).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# 1. Only the app's own workspace and the internal packages it depends on.
FROM ${NODE_IMAGE} AS prune
ARG NPM_CONFIG_REGISTRY=https://registry.npmjs.org/
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
RUN npm install --global turbo@2.11.11 --no-audit --no-fund
# APP only from here: the steps above are shared by the three images.
ARG APP
WORKDIR /repo
COPY . .
RUN test -n "${APP}" && turbo prune "@trust-broker/${APP}" --docker --out-dir /pruned

# 2. Install from the pruned lockfile (cached while no package.json changes), build, then
#    drop every dev dependency.
FROM ${NODE_IMAGE} AS build
ARG APP
ARG NPM_CONFIG_REGISTRY=https://registry.npmjs.org/
# SCARF_ANALYTICS: a dependency's install script would otherwise report the install.
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false SCARF_ANALYTICS=false
WORKDIR /repo
COPY --from=prune /pruned/json/ ./
RUN npm ci --no-audit --no-fund
COPY --from=prune /pruned/full/ ./
RUN npx turbo run build --filter="@trust-broker/${APP}..." \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/.cache

# 3. Runtime: production dependencies, the built workspaces, a non-root user.
FROM ${NODE_IMAGE} AS runtime
ARG APP
ARG PORT=8080
ENV NODE_ENV=production \
    APP=${APP} \
    HEALTH_PORT=${PORT}
WORKDIR /srv
COPY --from=build --chown=root:root /repo/package.json /repo/package-lock.json ./
COPY --from=build --chown=root:root /repo/node_modules ./node_modules
COPY --from=build --chown=root:root /repo/packages ./packages
COPY --from=build --chown=root:root /repo/apps ./apps
# Files stay root-owned and read-only to the service: it needs no write access
# (Kubernetes also mounts the root filesystem read-only).
USER node
WORKDIR /srv/apps/${APP}
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.HEALTH_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
