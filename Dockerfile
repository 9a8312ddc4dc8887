# syntax=docker/dockerfile:1
# Latchkey as users get it (issue #14): the npm tarball, installed with
# --omit=dev into an app on node:24-slim. The build stage runs the commands of
# .ci/run and the package test (test/package/): `npm ci` (which builds dist/),
# `npm pack` (which builds it again from clean and packs), the app's lockfile
# from scripts/locked-app.ts (this repository's locked production dependencies),
# and `npm install --offline --omit=dev` of the tarball from the cache `npm ci` filled.
# docs/deploy.md ("Docker") says how to run it.

FROM node:24-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && mkdir /pkg && npm pack --pack-destination /pkg \
 && node scripts/locked-app.ts /app \
 && cd /app \
 && npm install --offline --omit=dev --no-audit --no-fund /pkg/latchkey-*.tgz

FROM node:24-slim
# Without .git in the build context, `latchkey --version` and GET /version take the commit from here.
ARG LATCHKEY_BUILD_COMMIT=""
# Production refuses to start without LATCHKEY_BASE_URL (https), LATCHKEY_SECRET,
# LATCHKEY_SMTP_URL + LATCHKEY_MAIL_FROM and LATCHKEY_METRICS_TOKEN or
# LATCHKEY_METRICS_LISTEN: pass them at `docker run` (--env-file). SQLite lives in the volume.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LATCHKEY_DATA_DIR=/data \
    LATCHKEY_DATABASE_URL=sqlite:///data/latchkey.db \
    LATCHKEY_BUILD_COMMIT=${LATCHKEY_BUILD_COMMIT}
COPY --from=build /app /app
RUN mkdir /data && chown node:node /data \
 && ln -s /app/node_modules/.bin/latchkey /usr/local/bin/latchkey
WORKDIR /app
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM stops it gracefully within half the outbox lease + 5 s: run with --stop-timeout 40.
STOPSIGNAL SIGTERM
ENTRYPOINT ["latchkey"]
CMD ["start"]
