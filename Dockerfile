# syntax=docker/dockerfile:1
# Multi-stage build: install → compile with tsc → slim runtime with production dependencies only.
#   docker build -t openhumans-graphql .
#   docker run --rm -p 4000:4000 openhumans-graphql
# Node 24 is the newest LTS line that CI tests (24.22.3; 22.23.5 too): NODE_VERSION=22 also works.
ARG NODE_VERSION=24

# All dependencies (the compiler is a dev dependency).
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Compile TypeScript to dist/ (tsconfig.build.json).
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY sandbox ./sandbox
RUN npm run build

# Production dependencies only. WITHOUT_FEDERATION=1 also leaves out the optional federation
# packages (@apollo/subgraph brings Elastic-2.0 code, see THIRD_PARTY_NOTICES.md); /subgraph
# then answers 501 and everything else is unchanged.
FROM node:${NODE_VERSION}-bookworm-slim AS prod-deps
ARG WITHOUT_FEDERATION=
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev ${WITHOUT_FEDERATION:+--omit=optional} --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY --from=prod-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist/src ./dist/src
COPY --chown=node:node package.json ./
# No secrets are baked in: configure with environment variables (see .env.example).
USER node
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# 32 MiB young-generation semi-spaces (V8's default is 16): requests in flight hold their parsed
# upstream pages until they answer, and a larger young generation lets them die there instead of
# being copied and promoted (README, "Node flags"). `npm start` and the benchmark use the same.
CMD ["node", "--max-semi-space-size=32", "dist/src/main.js"]
