/**
 * HUB_URL and SERVICE_ID (set by the Dockerfile, the Kubernetes manifest or a
 * unit file) override the mounted config's `hub` and `service_id`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-env-'));
  file = join(dir, 'tlsmcp.yaml');
  writeFileSync(file, 'service_id: from-file\nhub: https://hub.example.test\nlisten: 127.0.0.1:8443\nbackend: { address: "127.0.0.1:8080" }\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('config environment overrides', () => {
  it('HUB_URL and SERVICE_ID win over the file, and name the single service', () => {
    const config = loadConfigFile(file, { env: { HUB_URL: 'https://hub.cyphers.test', SERVICE_ID: 'api-01' } });
    expect(config.hub).toBe('https://hub.cyphers.test');
    expect(config.service_id).toBe('api-01');
    expect(config.services.map((s) => s.name)).toEqual(['api-01']);
  });

  it('leaves the file alone when they are unset or empty', () => {
    const config = loadConfigFile(file, { env: { HUB_URL: '' } });
    expect(config.hub).toBe('https://hub.example.test');
    expect(config.service_id).toBe('from-file');
  });

  it('validates an override like the key it replaces', () => {
    expect(() => loadConfigFile(file, { env: { HUB_URL: 'not a url' } })).toThrow(/hub/);
  });
});
