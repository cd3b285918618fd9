import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { TlsmcpError } from '../../../src/errors.js';

const base = 'version: 1\nservice_id: api\nlisten: "127.0.0.1:8443"\nbackend: "127.0.0.1:8080"\n';

describe('the hub: config section', () => {
  it('reads the URL shorthand with the default sync interval', () => {
    const config = parseConfigText(`${base}hub: https://hub.example.org:7443\n`, 't.yaml');
    expect(config.hub).toBe('https://hub.example.org:7443');
    expect(config.hub_settings).toEqual({ urls: ['https://hub.example.org:7443'], auth_token: undefined, sync_interval: 30_000 });
  });

  it('reads a URL list, an enrollment token and a sync interval', () => {
    const config = parseConfigText(`${base}hub: { url: [https://a:7443, https://b:7443], auth_token: tok, sync_interval: 5s }\n`, 't.yaml');
    expect(config.hub).toBe('https://a:7443');
    expect(config.hub_settings).toEqual({ urls: ['https://a:7443', 'https://b:7443'], auth_token: 'tok', sync_interval: 5_000 });
  });

  it('names hub.sync_interval when it is not a duration', () => {
    try {
      parseConfigText(`${base}hub: { url: https://a:7443, sync_interval: often }\n`, 't.yaml');
      throw new Error('expected a config error');
    } catch (err) {
      expect(err).toBeInstanceOf(TlsmcpError);
      expect((err as TlsmcpError).details?.problems).toEqual([expect.objectContaining({ path: 'hub.sync_interval' })]);
    }
  });
});
