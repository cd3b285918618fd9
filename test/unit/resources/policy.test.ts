import { afterEach, describe, expect, it } from 'vitest';
import { createMcpHarness, type McpHarness } from '../../helpers/mcp-harness.js';

interface PolicyView {
  mtls: Record<string, unknown>;
  tls: { min_version: string; versions: string[] };
  ttl: { client_cert: Record<string, string>; server_cert: Record<string, string> };
}

describe('tlsmcp://policy/{service_id}', () => {
  let h: McpHarness;
  afterEach(async () => h?.close());

  it('shows mTLS mode, allowlists, TLS versions and TTLs of a configured service', async () => {
    h = await createMcpHarness({
      config: {
        client_cert: { default_ttl: '1d', max_ttl: '7d' },
        services: [
          {
            name: 'api',
            listen: { address: '127.0.0.1:0', protocol: 'tls12' },
            backend: '127.0.0.1:18080',
            mtls: { mode: 'required', allowed_services: ['web'], allowed_uri_sans: ['spiffe://example.org/ns/prod/sa/web'] },
          },
          { name: 'open', listen: '127.0.0.1:0', backend: '127.0.0.1:18081' },
        ],
      },
    });
    const api = (await h.read('tlsmcp://policy/api')) as PolicyView;
    expect(api.mtls).toMatchObject({ mode: 'required', allowed_services: ['web'], allowed_uri_sans: ['spiffe://example.org/ns/prod/sa/web'], any_valid_certificate: false });
    expect(api.tls).toMatchObject({ min_version: 'TLSv1.2', versions: ['TLSv1.2', 'TLSv1.3'] });
    expect(api.ttl.client_cert).toEqual({ default_ttl: '1d', min_ttl: '1m', max_ttl: '7d' });
    expect(api.ttl.server_cert).toMatchObject({ source: 'ca', ttl: '90d' });
    const open = (await h.read('tlsmcp://policy/open')) as PolicyView;
    expect(open.tls.versions).toEqual(['TLSv1.3']);
    expect(open.mtls.any_valid_certificate).toBe(true);

    const { resources } = await h.client.listResources();
    expect(resources.filter((r) => r.uri.startsWith('tlsmcp://policy/')).map((r) => r.uri)).toEqual(['tlsmcp://policy/api', 'tlsmcp://policy/open']);
  });

  it('an unknown service is an error listing the configured ones', async () => {
    h = await createMcpHarness({ config: { services: [{ name: 'api', listen: '127.0.0.1:0', backend: '127.0.0.1:18080' }] } });
    await expect(h.read('tlsmcp://policy/ghost')).rejects.toThrow(/"ghost" is not a configured service[\s\S]*use one of: api/);
  });
});
