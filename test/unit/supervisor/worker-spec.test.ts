import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { defaultServerNames } from '../../../src/supervisor/tls-material.js';
import { restartNeededFor, workerSpecOf } from '../../../src/supervisor/worker-spec.js';

const config = (listen: string, extra: Record<string, unknown> = {}) =>
  parseConfig({ version: 1, services: [{ name: 'api', listen, backend: '127.0.0.1:8080', ...extra }] });

describe('worker spec', () => {
  it('carries policy and limits with their defaults', () => {
    const c = config('127.0.0.1:8443', { mtls: { mode: 'required', allowed_services: ['x'] } });
    const spec = workerSpecOf(c.services[0]!, c);
    expect(spec).toMatchObject({ name: 'api', protocol: 'tls13', mtls: { mode: 'required', allowed_services: ['x'] }, limits: { max_connections: 10_000 } });
  });

  it('a new port needs a restart; a new policy does not', () => {
    const a = config('127.0.0.1:8443').services[0]!;
    expect(restartNeededFor(a, config('127.0.0.1:9443').services[0]!)).toEqual(['listen.address']);
    expect(restartNeededFor(a, config('127.0.0.1:8443', { mtls: { mode: 'optional' } }).services[0]!)).toEqual([]);
  });

  it('CA-issued server certificates cover the listen host plus localhost and 127.0.0.1', () => {
    expect(defaultServerNames(config('127.0.0.1:8443').services[0]!)).toEqual({ dns: ['localhost'], ip: ['127.0.0.1'] });
    expect(defaultServerNames(config('proxy.local:8443').services[0]!)).toEqual({ dns: ['proxy.local', 'localhost'], ip: ['127.0.0.1'] });
    expect(defaultServerNames(config('0.0.0.0:8443').services[0]!)).toEqual({ dns: ['localhost'], ip: ['127.0.0.1'] });
  });
});
