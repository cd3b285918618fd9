/**
 * The Hub's REST contract, walked from its own openapi.json: every documented
 * path and method has a case here (so a new route without one fails), valid
 * calls succeed, bad input gets 400 naming the field, admin paths refuse an
 * instance identity with 403, and a caller without a certificate completes the
 * TLS handshake and gets a 401 with a fix.
 */
import { connect } from 'node:tls';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MtlsFetch } from '../../src/connect/mtls-fetch.js';
import { startInProcessHub, type InProcessHub } from '../helpers/hub-inprocess.js';

let fleet: InProcessHub;
let instance: { stateDir: string; http: MtlsFetch };
let certId: string;

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; fix: string | null } } & Record<string, unknown>;
}

async function call(http: MtlsFetch, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await http.fetch(`${fleet.hub.url}${path}`, {
    method,
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const reader = res.body!.getReader();
    const first = await reader.read();
    await reader.cancel();
    return { status: res.status, body: { first: new TextDecoder().decode(first.value) } };
  }
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

interface Case {
  /** A call that succeeds (as admin unless `as` says instance). */
  ok: () => Promise<Answer>;
  /** A call with bad input, and the field the error must name. */
  bad?: { call: () => Promise<Answer>; field: string; status?: number };
  /** Only admins may call it: the instance identity gets 403. */
  adminOnly?: () => Promise<Answer>;
}

const admin = () => fleet.admin;
const inst = () => instance.http;

const CASES: Record<string, Case> = {
  'post /api/v1/certs/issue': {
    ok: () => call(admin(), 'POST', '/api/v1/certs/issue', { body: { type: 'client', service: 'web' } }),
    bad: { call: () => call(admin(), 'POST', '/api/v1/certs/issue', { body: { type: 'bogus', service: 'web' } }), field: 'body.type' },
    adminOnly: () => call(inst(), 'POST', '/api/v1/certs/issue', { body: { type: 'client', service: 'web' } }),
  },
  'get /api/v1/certs/{id}': {
    ok: () => call(admin(), 'GET', `/api/v1/certs/${certId}`),
    bad: { call: () => call(admin(), 'GET', '/api/v1/certs/nosuchcert'), field: 'nosuchcert', status: 404 },
  },
  'delete /api/v1/certs/{id}': {
    ok: async () => {
      const issued = await call(admin(), 'POST', '/api/v1/certs/issue', { body: { type: 'client', service: 'web' } });
      return call(admin(), 'DELETE', `/api/v1/certs/${String(issued.body.id)}?reason=superseded`);
    },
    bad: { call: () => call(admin(), 'DELETE', `/api/v1/certs/${certId}?reason=because`), field: 'query.reason' },
    adminOnly: () => call(inst(), 'DELETE', `/api/v1/certs/${certId}`),
  },
  'get /api/v1/certs/revocations': {
    ok: () => call(inst(), 'GET', '/api/v1/certs/revocations?since=0'),
    bad: { call: () => call(inst(), 'GET', '/api/v1/certs/revocations?since=-3'), field: 'query.since' },
  },
  'post /api/v1/certs/renew': {
    ok: () => call(admin(), 'POST', '/api/v1/certs/renew', { body: { id: certId } }),
    bad: { call: () => call(admin(), 'POST', '/api/v1/certs/renew', { body: { ident: certId } }), field: 'body.id' },
  },
  'get /api/v1/score': {
    // Sidecars show the fleet score (`tlsmcp score` with hub.url): an instance may read it.
    ok: () => call(inst(), 'GET', '/api/v1/score'),
  },
  'post /api/v1/events': {
    ok: () => call(inst(), 'POST', '/api/v1/events', { body: { events: [{ kind: 'connection', time: new Date().toISOString(), result: 'accepted', serial: 'ab' }], cursor: 0 } }),
    bad: { call: () => call(inst(), 'POST', '/api/v1/events', { body: { events: [{ kind: 'gossip', time: 'now' }] } }), field: 'body.events.0.kind' },
  },
  'get /api/v1/policy/{service_id}': {
    ok: () => call(inst(), 'GET', '/api/v1/policy/api'),
    bad: { call: () => call(admin(), 'GET', `/api/v1/policy/${encodeURIComponent('not a name!')}`), field: 'param.service_id' },
  },
  'put /api/v1/policy/{service_id}': {
    ok: () => call(admin(), 'PUT', '/api/v1/policy/api', { body: { server_max_ttl: '30d', allowed_services: ['web'] } }),
    bad: { call: () => call(admin(), 'PUT', '/api/v1/policy/api', { body: { client_max_ttl: 'forever' } }), field: 'body.client_max_ttl' },
    adminOnly: () => call(inst(), 'PUT', '/api/v1/policy/api', { body: {} }),
  },
  'get /api/v1/stream': {
    ok: () => call(inst(), 'GET', '/api/v1/stream'),
    bad: { call: () => call(inst(), 'GET', '/api/v1/stream', { headers: { 'last-event-id': 'yesterday' } }), field: 'header.last-event-id' },
  },
  'get /api/v1/instances': {
    ok: () => call(admin(), 'GET', '/api/v1/instances'),
    adminOnly: () => call(inst(), 'GET', '/api/v1/instances'),
  },
  'get /api/v1/webhooks/deliveries': {
    ok: () => call(admin(), 'GET', '/api/v1/webhooks/deliveries'),
    adminOnly: () => call(inst(), 'GET', '/api/v1/webhooks/deliveries'),
  },
  'post /api/v1/enroll': {
    ok: async () => call(admin(), 'POST', '/api/v1/enroll', { body: { token: await fleet.token('api'), csr: 'not a csr' } }),
    bad: { call: () => call(admin(), 'POST', '/api/v1/enroll', { body: { token: 'short', csr: 'x' } }), field: 'body.token' },
  },
  'get /api/v1/openapi.json': {
    ok: () => call(inst(), 'GET', '/api/v1/openapi.json'),
  },
};

beforeAll(async () => {
  fleet = await startInProcessHub();
  instance = await fleet.enroll('api');
  const issued = await call(fleet.admin, 'POST', '/api/v1/certs/issue', { body: { type: 'client', service: 'web' } });
  certId = String(issued.body.id);
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

describe('the Hub API contract', () => {
  it('documents exactly the paths this test walks, as OpenAPI 3.1', async () => {
    const { body } = await call(fleet.admin, 'GET', '/api/v1/openapi.json');
    expect(body.openapi).toBe('3.1.0');
    const documented = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    // The document itself is served beside the routes it describes.
    expect(documented.sort()).toEqual(Object.keys(CASES).filter((k) => k !== 'get /api/v1/openapi.json').sort());
  });

  for (const [route, c] of Object.entries(CASES)) {
    it(`${route}: valid input succeeds${c.bad ? ', bad input names the field' : ''}${c.adminOnly ? ', an instance gets 403' : ''}`, async () => {
      const ok = await c.ok();
      if (route === 'post /api/v1/enroll') {
        // A valid token with a bad CSR: the body passed validation, the CSR check refused it (and burnt nothing useful).
        expect(ok.status).toBe(400);
        expect(ok.body.error?.code).toBe('ERR_CSR_INVALID');
      } else {
        expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      }
      if (c.bad) {
        const bad = await c.bad.call();
        expect(bad.status).toBe(c.bad.status ?? 400);
        expect(bad.body.error?.message).toContain(c.bad.field);
        expect(bad.body.error?.fix).toBeTruthy();
      }
      if (c.adminOnly) {
        const denied = await c.adminOnly();
        expect(denied.status).toBe(403);
        expect(denied.body.error?.code).toBe('ERR_FORBIDDEN');
      }
    });
  }

  it('completes the handshake without a client certificate and answers 401 with a fix', async () => {
    const socket = connect({ host: '127.0.0.1', port: fleet.hub.address.port, ca: fleet.hub.service.ca.caCertPem(), servername: 'localhost' });
    await once(socket, 'secureConnect');
    socket.write('GET /api/v1/instances HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    await once(socket, 'end');
    expect(text).toMatch(/^HTTP\/1.1 401/);
    expect(text).toContain('"code":"ERR_UNAUTHENTICATED"');
    socket.destroy();
  });

  it('refuses a revoked admin certificate with 401', async () => {
    const issued = await call(fleet.admin, 'POST', '/api/v1/certs/issue', { body: { type: 'client', service: 'tlsmcp-hub', cn: 'tlsmcp-hub-admin' } });
    const { createMtlsFetch } = await import('../../src/connect/mtls-fetch.js');
    const second = createMtlsFetch({ certPem: String(issued.body.cert_pem), keyPem: String(issued.body.key_pem), caPem: String(issued.body.ca_pem) });
    try {
      expect((await call(second, 'GET', '/api/v1/instances')).status).toBe(200);
      expect((await call(fleet.admin, 'DELETE', `/api/v1/certs/${String(issued.body.id)}`)).status).toBe(200);
      // Checked on every request, so even the kept-alive connection is refused now.
      const after = await call(second, 'GET', '/api/v1/instances');
      expect(after.status).toBe(401);
      expect(after.body.error?.message).toContain('revoked');
    } finally {
      await second.close();
    }
  });
});
