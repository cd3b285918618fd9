import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { encodeAlpnList } from '../../../src/proxy/alpn.js';
import { workerSpecOf } from '../../../src/supervisor/worker-spec.js';

const config = (listen: Record<string, unknown>, backend: Record<string, unknown> = {}) =>
  parseConfig({ version: 1, services: [{ name: 'api', listen: { address: '127.0.0.1:8443', ...listen }, backend: { address: '127.0.0.1:8080', ...backend } }] });

describe('listen.alpn and backend.proxy_protocol', () => {
  it('reach the worker spec as given', () => {
    const c = config({ alpn: ['h2', 'http/1.1'] }, { proxy_protocol: 'v2' });
    expect(workerSpecOf(c.services[0]!, c)).toMatchObject({ alpn: ['h2', 'http/1.1'], proxy_protocol: 'v2' });
  });

  it('are absent unless set', () => {
    const spec = workerSpecOf(config({}).services[0]!, config({}));
    expect(spec.alpn).toBeUndefined();
    expect(spec.proxy_protocol).toBeUndefined();
  });

  it.each([[[]], [['h2', 'h2']], [['h 2']], [['']], [['x'.repeat(256)]]])('refuses alpn %j', (alpn) => {
    expect(() => config({ alpn })).toThrow(/alpn/);
  });

  it('refuses an unknown proxy_protocol version', () => {
    expect(() => config({}, { proxy_protocol: 'v1' })).toThrow(/proxy_protocol/);
  });

  it('proxy_protocol is refused in client mode and on MCP services; alpn on MCP services', () => {
    const base = { name: 'api', listen: '127.0.0.1:8443' };
    expect(() => parseConfig({ version: 1, services: [{ ...base, mode: 'client', backend: { address: '10.0.0.1:443', proxy_protocol: 'v2' } }] })).toThrow(/backend\.proxy_protocol/);
    expect(() => parseConfig({ version: 1, services: [{ ...base, protocol: 'mcp', backend: { command: ['x'], proxy_protocol: 'v2' } }] })).toThrow(/backend\.proxy_protocol/);
    expect(() => parseConfig({ version: 1, services: [{ ...base, listen: { address: '127.0.0.1:8443', alpn: ['h2'] }, protocol: 'mcp', backend: { command: ['x'] } }] })).toThrow(/listen\.alpn/);
  });

  it('encodes the list as Node keeps it on a tls.Server', () => {
    expect(encodeAlpnList(['h2', 'http/1.1'])).toEqual(Buffer.from('\x02h2\x08http/1.1', 'latin1'));
    expect(encodeAlpnList(undefined)).toBeUndefined();
  });
});
