/**
 * data_path: the config key (auto by default: native where it carries the
 * service and the addon is built, else js; native accepted for a server-mode TCP
 * service, refused naming the key with anything the native path does not do),
 * its way into the worker spec, and the loader's error when the addon is missing.
 */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { TlsmcpError } from '../../../src/errors.js';
import { loadNativeAddon, nativeAddonLoads } from '../../../src/native/addon.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPathOf, workerSpecOf } from '../../../src/supervisor/worker-spec.js';

const BASE = 'listen: "127.0.0.1:0"\nbackend: "127.0.0.1:9"\n';

function problems(text: string): string[] {
  try {
    parseConfigText(text, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(TlsmcpError);
    expect((err as TlsmcpError).code).toBe('ERR_CONFIG_INVALID');
    return ((err as TlsmcpError).details?.problems as { path: string; message: string }[]).map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
}

describe('data_path', () => {
  it('defaults to auto: native in the worker spec where the native path carries the service and the addon is built', () => {
    const config = parseConfigText(BASE);
    const svc = config.services[0]!;
    expect(svc.data_path).toBe('auto');
    expect(workerSpecOf(svc, config).data_path).toBe('native');
    const spec = workerSpecOf(svc, config);
    expect(dataPathOf(svc, spec, () => true)).toEqual({ path: 'native' });
    // A package installed without the addon stays on Node's listener rather than failing.
    expect(dataPathOf(svc, spec, () => false)).toEqual({ path: 'js', why: expect.stringContaining('npm run build:native') });
  });

  it.each([
    ['listen: { address: "127.0.0.1:0", alpn: [h2] }\nbackend: "127.0.0.1:9"\n'],
    ['listen: "127.0.0.1:0"\nbackend: { address: "127.0.0.1:9", proxy_protocol: v2 }\n'],
    ['listen: "127.0.0.1:0"\nbackend: { address: "127.0.0.1:9", protocol: http }\n'],
    [`${BASE}mtls: optional\n`],
    [`${BASE}mode: client\n`],
    ['listen: "127.0.0.1:0"\nbackend: "localhost:9"\n'],
    ['listen: { address: "127.0.0.1:0", tls_profile: fips }\nbackend: "127.0.0.1:9"\n'],
    [`${BASE}server_cert: { provider: letsencrypt, domains: [example.test], acme: { directory_url: "https://127.0.0.1:14000/dir", email: a@example.test, challenge: tls-alpn-01 } }\n`],
  ])('auto stays on js, with no error, where the native path does not carry the service or the backend is a host name (%#)', (text) => {
    const config = parseConfigText(text);
    expect(config.services[0]!.data_path).toBe('auto');
    expect(workerSpecOf(config.services[0]!, config).data_path).toBeUndefined();
  });

  it('auto asks whether the addon loads, not whether a file is there: a missing or foreign file is js', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-addon-'));
    try {
      const junk = join(dir, 'tlsmcp_native.node');
      writeFileSync(junk, 'not a shared object');
      expect(nativeAddonLoads(junk)).toBe(false);
      expect(nativeAddonLoads(join(dir, 'missing.node'))).toBe(false);
      expect(nativeAddonLoads()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('js stays js with the addon built', () => {
    const config = parseConfigText(`${BASE}data_path: js\n`);
    expect(workerSpecOf(config.services[0]!, config).data_path).toBeUndefined();
  });

  it('native reaches the worker spec, in either config form', () => {
    const single = parseConfigText(`${BASE}data_path: native\n`);
    expect(workerSpecOf(single.services[0]!, single).data_path).toBe('native');
    const listed = parseConfigText('services:\n  - name: api\n    data_path: native\n    listen: "127.0.0.1:0"\n    backend: "127.0.0.1:9"\n');
    expect(listed.services[0]!.data_path).toBe('native');
  });

  it.each([
    ['listen: { address: "127.0.0.1:0", alpn: [h2] }\nbackend: "127.0.0.1:9"\n', 'listen.alpn'],
    ['listen: "127.0.0.1:0"\nbackend: { address: "127.0.0.1:9", proxy_protocol: v2 }\n', 'backend.proxy_protocol'],
    ['listen: "127.0.0.1:0"\nbackend: { address: "127.0.0.1:9", protocol: http }\n', 'backend.protocol'],
    [`${BASE}mtls: optional\n`, 'mtls.mode'],
    [`${BASE}mode: client\n`, 'mode'],
  ])('native with a feature it does not do is a config error naming data_path and the key (%#)', (text, key) => {
    const found = problems(`${text}data_path: native\n`);
    expect(found.some((p) => p.startsWith('data_path: native does not support') && p.includes(key))).toBe(true);
  });

  it('a missing addon is ERR_NATIVE_UNAVAILABLE with the build command as the fix', () => {
    let caught: unknown;
    try {
      loadNativeAddon('/nonexistent/tlsmcp_native.node');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TlsmcpError);
    expect((caught as TlsmcpError).code).toBe('ERR_NATIVE_UNAVAILABLE');
    expect((caught as TlsmcpError).fix).toContain('npm run build:native');
  });

  it('the built addon loads and was compiled against the OpenSSL this Node.js runs', () => {
    const addon = loadNativeAddon();
    expect(addon.opensslHeaders).toContain(process.versions.openssl);
  });
});
