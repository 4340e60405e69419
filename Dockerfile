# Parley's image: compiled in a build stage with every dependency, run with production ones only,
# as the unprivileged `node` user. docker-compose.yml runs three of these behind nginx.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
# A young generation of up to 64 MiB per semi-space (node's default is 16): a node holding tens of
# thousands of connections then promotes far less garbage, and the full collections that paused it
# for most of a second under load (BENCHMARKS.md, P5) stay out of the way. Override NODE_OPTIONS
# to change it.
ENV NODE_ENV=production PORT=8000 NODE_OPTIONS=--max-semi-space-size=64
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8000
# Liveness only (the process answers); compose's healthcheck asks /readyz, which also checks
# the backends. node's own fetch, so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
