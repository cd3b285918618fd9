import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { TlsmcpError } from '../../../src/errors.js';

function problems(text: string): string[] {
  try {
    parseConfigText(text, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(TlsmcpError);
    const e = err as TlsmcpError;
    expect(e.code).toBe('ERR_CONFIG_INVALID');
    return (e.details?.problems as { path: string; message: string }[]).map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
}

const SIDECAR = `
version: 1
service_id: api
hub: https://hub.example.org
listen: { address: "0.0.0.0:8443", protocol: tls13 }
backend: { address: "127.0.0.1:8080" }
mtls: { mode: required, allowed_services: [web, worker] }
revocation_refresh: 30s
server_cert: { renew_before: 24h }
client_cert: { default_ttl: 24h, max_ttl: 30d }
logging: { level: info }
mcp: { transport: stdio, sse_address: "127.0.0.1:8444", self_secure: true }
`;

describe('config: accepted shapes', () => {
  it('accepts the single-service sidecar form and normalizes it to one service', () => {
    const config = parseConfigText(SIDECAR);
    expect(config.services).toHaveLength(1);
    const svc = config.services[0]!;
    expect(svc.name).toBe('api');
    expect(svc.listen.address).toEqual({ host: '0.0.0.0', port: 8443 });
    expect(svc.backend.address).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(svc.mtls.allowed_services).toEqual(['web', 'worker']);
    expect(svc.mtls.revocation_refresh).toBe(30_000);
    expect(config.client_cert.default_ttl).toBe(86_400_000);
    expect(config.client_cert.max_ttl).toBe(30 * 86_400_000);
    expect(config.hub).toBe('https://hub.example.org');
  });

  it('accepts the gateway form with string shorthands and an MCP service', () => {
    const config = parseConfigText(`
services:
  - name: web
    listen: "127.0.0.1:8443"
    backend: "127.0.0.1:8080"
    mtls: { mode: optional }
  - name: files
    listen: "127.0.0.1:9443"
    protocol: mcp
    backend:
      command: ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/srv/data"]
    mtls:
      mode: required
    authorization:
      - identity: { cn: "ci-bot" }
        allow_tools: ["read_*", "list_*"]
      - identity: { ou: "admins" }
        allow_tools: ["*"]
`);
    expect(config.services.map((s) => s.name)).toEqual(['web', 'files']);
    expect(config.services[0]!.mtls.mode).toBe('optional');
    expect(config.services[1]!.authorization[0]!.allow_tools).toEqual(['read_*', 'list_*']);
    expect(config.services[1]!.limits.max_connections).toBeGreaterThan(0);
  });

  it('defaults to TLS 1.3, mTLS required and a loopback admin endpoint', () => {
    const config = parseConfigText('listen: "127.0.0.1:0"\nbackend: "127.0.0.1:9"\n');
    expect(config.services[0]!.listen.protocol).toBe('tls13');
    expect(config.services[0]!.mtls.mode).toBe('required');
    expect(config.admin.address.host).toBe('127.0.0.1');
    expect(config.mcp.self_secure).toBe(true);
  });
});

describe('config: every problem named with its key path', () => {
  it('reports unknown keys', () => {
    expect(problems('bogus: 1\nlogging: { level: info, colour: red }\n')).toEqual([
      expect.stringMatching(/^logging\.colour: is not a known key/),
      expect.stringMatching(/^bogus: is not a known key/),
    ]);
  });

  it('reports bad durations with the accepted forms', () => {
    expect(problems('client_cert: { default_ttl: 5y }\n')).toEqual([
      expect.stringMatching(/^client_cert\.default_ttl: "5y" is not a duration: .*30d/),
    ]);
  });

  it('reports a port out of range', () => {
    expect(problems('listen: { address: "0.0.0.0:70000" }\nbackend: "127.0.0.1:80"\n')).toEqual([
      'listen.address: port 70000 is out of range (0-65535)',
    ]);
  });

  it('reports min_ttl greater than max_ttl', () => {
    expect(problems('client_cert: { min_ttl: 40d, max_ttl: 30d, default_ttl: 1d }\n')).toEqual([
      expect.stringMatching(/^client_cert\.min_ttl: .*greater than client_cert\.max_ttl/),
    ]);
  });

  it('refuses a non-loopback backend without the explicit opt-in, and accepts it with one', () => {
    expect(problems('listen: "127.0.0.1:8443"\nbackend: "10.1.2.3:80"\n')).toEqual([
      expect.stringMatching(/^backend\.address: 10\.1\.2\.3 is not a loopback address.*allow_non_loopback: true/),
    ]);
    const ok = parseConfigText('listen: "127.0.0.1:8443"\nbackend: { address: "10.1.2.3:80", allow_non_loopback: true }\n');
    expect(ok.services[0]!.backend.address?.host).toBe('10.1.2.3');
  });

  it('refuses two services on one port', () => {
    expect(
      problems(`
services:
  - { name: a, listen: "127.0.0.1:8443", backend: "127.0.0.1:1" }
  - { name: b, listen: "0.0.0.0:8443", backend: "127.0.0.1:2" }
`),
    ).toEqual([expect.stringMatching(/^services\[1\]\.listen\.address: port 8443 is already used by service "a"/)]);
  });

  it('reports YAML syntax errors with a line number', () => {
    expect(problems('listen: [unclosed\n')[0]).toMatch(/^line \d+:\d+: /);
  });
});
