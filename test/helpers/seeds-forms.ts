/**
 * The three config files of the product's documents, verbatim except for
 * ports (and, where a test runs the proxy, the backend port and a Hub that
 * would be contacted): the short form (issue 14), the specification's form
 * (product-spec.md §5) and the walkthrough's flat form (product-walkthrough.txt).
 */

export function shortForm(listen: string, backend: string): string {
  return ['services:', '- name: api', `  listen: ${listen}`, `  backend: ${backend}`, '  mtls: required', ''].join('\n');
}

export function specForm({ listen = '0.0.0.0:18443', backend = '127.0.0.1:3000', sse = '127.0.0.1:3001' } = {}): string {
  return `# tlsmcp.yaml
version: 1
service_id: api-prod-01

hub:
  url: https://hub.cyphers.ai
  auth_token: tlsmcp_xxxxxxxxxxxx
  sync_interval: 60s            # How often to sync with Hub

listen:
  address: "${listen}"
  protocol: tls13               # TLS 1.3 only, no fallback

backend:
  address: "${backend}"
  protocol: http                # Plain HTTP to local app

mtls:
  mode: required                # required | optional | disabled
  allowed_services:             # CN allowlist
    - payment-api
    - auth-service
  revocation_refresh: 5m        # How often to refresh CRL

server_cert:
  auto_renew: true
  provider: letsencrypt         # letsencrypt | internal | commercial
  renew_before: 30d             # Renew 30 days before expiry
  domains:
    - api.example.com

client_cert:
  default_ttl: 24h
  max_ttl: 720h                 # 30 days max

logging:
  level: info                   # debug | info | warn | error
  format: json                  # json | pretty

mcp:
  enabled: true
  transport: stdio              # stdio | sse
  sse_address: "${sse}" # Only when transport: sse
  self_secure: false            # Require mTLS for MCP connections (SSE only)
`;
}

export interface WalkthroughOptions {
  listen?: string;
  backend?: string;
  max?: string;
  metricsPort?: number;
  /** The Hub lines; off where the proxy really runs. */
  hub?: boolean;
}

export function walkthroughForm({ listen = ':18443', backend = 'localhost:3000', max = '12m', metricsPort = 19090, hub = true }: WalkthroughOptions = {}): string {
  return `version: 1
service_id: api-prod-01
${hub ? 'hub_url: https://hub.cyphers.ai\nauth_token: tlsmcp_xxxxxxxxxxxx\n' : ''}# TLS listener on port 8443
listen: ${listen}
tls:
  protocol: tls13
  client_auth: required
  cipher_suites:
    - TLS_AES_256_GCM_SHA384
    - TLS_CHACHA20_POLY1305_SHA256
  server_cert_renewal_days: 30
# Backend service (your app)
backend:
  address: ${backend}
  protocol: http
  health_check: true
  health_path: /health
# Certificate policies (per service)
certificate_policies:
  client:
    allowed_duration:
      min: 1h
      max: ${max}
    auto_renew: true
    renewal_before_expiry: 5m
    required_cn_pattern: ^.*\\.prod$
logging:
  level: info
  audit_enabled: true
  hub_sync: true
  metrics_port: ${metricsPort}
`;
}
