# syntax=docker/dockerfile:1
# mayfly: multi-stage build. NOT built on the machine this was written on (no Docker engine
# there): review before first use. The service runs on the wasm backend (TFJS_BACKEND=wasm, the
# default), which zeroes tensor memory. @tensorflow/tfjs-node (optional; its install downloads
# libtensorflow) is used only with TFJS_BACKEND=tensorflow, an opt-in that is not wiped.
# Do not build with --omit=optional: koffi's prebuilt binary (process hardening) is one.

FROM node:20-bookworm-slim AS build
# Toolchain for tfjs-node's build-from-source fallback, in the build stage only.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY tools ./tools
# Build, then drop dev dependencies; optional ones (tfjs-node) stay when their install succeeded.
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim
# The same native environment as `npm start`: no libvips temp files, no fontconfig cache;
# glibc fills freed heap blocks with a pattern (MALLOC_PERTURB_) so freed image memory is
# wiped, with its per-thread cache off (tcache blocks are not perturbed), and two malloc arenas
# (MALLOC_ARENA_MAX) to bound the peak RSS of libvips' threads.
ENV NODE_ENV=production \
    PORT=8080 \
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
# Runs as the unprivileged 'node' user; needs no writable path, so a read-only root filesystem
# without volumes works (the service never writes files).
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The V8 heap sizing of `npm start` (see docs/performance.md: a major GC per request without the
# first flag, ~50 MB more resident memory without the second).
CMD ["node", "--initial-old-space-size=64", "--max-semi-space-size=4", "dist/src/server.js"]
