/**
 * Confirmation and subscriptions for a remote agent: over Streamable HTTP
 * with mTLS, `mcp.confirm_destructive: true` makes tlsmcp_cert_revoke ask the
 * agent's client through elicitation (sent on the call's own stream), and a
 * subscription's `resources/updated` reaches the client on the session's
 * standalone stream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ResourceUpdatedNotificationSchema, type CallToolResult, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, ttlPolicyFromConfig } from '../../src/ca/index.js';
import { parseConfig } from '../../src/config/load.js';
import { createSilentLogger } from '../../src/logger.js';
import { startMcpServe, type McpServeHandle } from '../../src/app/mcp-serve.js';
import { createMtlsFetch, type MtlsFetch } from '../helpers/mcp-remote-client.js';
import { waitFor } from '../helpers/mcp-wait.js';

describe('remote agent: confirmation and subscriptions over Streamable HTTP', () => {
  let dir: string;
  let serve: McpServeHandle | undefined;
  let mtls: MtlsFetch | undefined;
  let client: Client | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tlsmcp-confirm-remote-'));
  });
  afterEach(async () => {
    await client?.close().catch(() => undefined);
    client = undefined;
    await mtls?.close();
    mtls = undefined;
    await serve?.close();
    serve = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(confirm: boolean | undefined, answers: ElicitResult[]) {
    const stateDir = join(dir, 'state');
    const config = parseConfig(
      {
        admin: { enabled: false },
        mcp: {
          transport: 'http',
          sse_address: '127.0.0.1:0',
          authorization: [{ identity: { cn: 'ops-agent' }, allow_tools: ['tlsmcp_cert_issue', 'tlsmcp_cert_revoke'] }],
          ...(confirm === undefined ? {} : { confirm_destructive: confirm }),
        },
      },
      'remote confirm config',
    );
    serve = await startMcpServe({ config, stateDir, logger: createSilentLogger(), transport: 'http' });
    const ca = createCertificateAuthority({ stateDir, policy: ttlPolicyFromConfig(config) });
    const agentCert = await ca.issue({ type: 'client', service: 'ops', cn: 'ops-agent' });
    mtls = createMtlsFetch({ ca: ca.caCertPem(), cert: agentCert.certPem, key: agentCert.keyPem! });
    client = new Client({ name: 'remote-agent', version: '0.0.0' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return answers.shift() ?? { action: 'cancel' };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${serve.remote!.url}/mcp`), { fetch: mtls.fetch }));
    const call = async (name: string, args: Record<string, unknown>) => (await client!.callTool({ name, arguments: args })) as CallToolResult;
    const issue = async (cn: string) => (await call('tlsmcp_cert_issue', { service: 'api', cn })).structuredContent as { id: string };
    return { ca, asked, call, issue };
  }

  it('mcp.confirm_destructive: true asks the remote agent; declined revokes nothing, accepted revokes', async () => {
    const { ca, asked, call, issue } = await start(true, [{ action: 'decline' }, { action: 'accept', content: { confirm: true } }]);
    const cert = await issue('worker-1');
    const declined = await call('tlsmcp_cert_revoke', { id: cert.id });
    expect(declined.isError).toBe(true);
    expect(asked).toHaveLength(1);
    expect((await ca.get(cert.id)).status).toBe('valid');
    const accepted = await call('tlsmcp_cert_revoke', { id: cert.id });
    expect(accepted.structuredContent).toMatchObject({ confirmation: 'confirmed' });
    expect((await ca.get(cert.id)).status).toBe('revoked');
  });

  it('unset, a remote agent is not asked (the default is on for stdio only)', async () => {
    const { ca, asked, call, issue } = await start(undefined, [{ action: 'decline' }]);
    const cert = await issue('worker-1');
    expect((await call('tlsmcp_cert_revoke', { id: cert.id })).structuredContent).toMatchObject({ confirmation: 'not_asked' });
    expect(asked).toEqual([]);
    expect((await ca.get(cert.id)).status).toBe('revoked');
  });

  it('a subscription to tlsmcp://certs/api is notified when a certificate for api is issued outside the session (another CA instance on the state dir, as the CLI)', async () => {
    const { issue } = await start(undefined, []);
    await issue('first');
    const updates: string[] = [];
    client!.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await client!.subscribeResource({ uri: 'tlsmcp://certs/api' });
    // The CLI (another CA instance on the same state dir) issues: the inventory file changes under the server.
    const cli = createCertificateAuthority({ stateDir: join(dir, 'state'), policy: ttlPolicyFromConfig(parseConfig({}, 'cli')) });
    const issued = await cli.issue({ type: 'client', service: 'api', cn: 'from-cli' });
    await waitFor(() => updates.includes('tlsmcp://certs/api'), { what: 'resources/updated for tlsmcp://certs/api' });
    const res = await client!.readResource({ uri: 'tlsmcp://certs/api' });
    const certs = (JSON.parse((res.contents[0] as { text: string }).text) as { certs: { id: string }[] }).certs;
    expect(certs.map((c) => c.id)).toContain(issued.record.id);
  });
});
