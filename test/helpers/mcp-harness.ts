/**
 * An MCP server over the SDK's in-memory transport, wired to a real CA in a
 * temp dir and a real audit log, driven by the SDK's real Client. With
 * `identity`, every request carries that caller's auth info, exactly as the
 * remote transports set it from a client certificate.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { createCertificateAuthority, type IssueResult } from '../../src/ca/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createSilentLogger } from '../../src/logger.js';
import { scopesFor } from '../../src/mcp/authorization.js';
import type { McpServerDeps } from '../../src/mcp/deps.js';
import { authInfoFromIdentity, type CallerIdentity } from '../../src/mcp/identity.js';
import { createMcpServer } from '../../src/app/mcp-server.js';
import { createAuditLog } from '../../src/state/audit-log.js';
import { statePaths } from '../../src/state/state-dir.js';
import type { RevocationFeed } from '../../src/core/revocation.js';
import type { Supervisor } from '../../src/supervisor/types.js';
import { createTestPki, TEST_POLICY, type TestPki } from './ca-fixture.js';

export interface McpHarness {
  pki: TestPki;
  deps: McpServerDeps;
  config: Config;
  client: Client;
  /** Calls a tool and returns the result, failing loudly on protocol errors. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Reads a resource and parses its JSON text. */
  read(uri: string): Promise<unknown>;
  close(): Promise<void>;
}

export interface McpHarnessOptions {
  /** Raw config object, as a YAML file would give it. */
  config?: Record<string, unknown>;
  identity?: CallerIdentity;
  supervisor?: Supervisor;
  clock?: () => Date;
  /** What the test client declares, e.g. `{ elicitation: {} }`. */
  clientCapabilities?: ClientCapabilities;
  /** The process's revocation feed, as `mcp serve` wires it. */
  revocations?: RevocationFeed;
}

/** A caller identity as the remote listener would derive it from an issued certificate. */
export function identityOf(issued: IssueResult): CallerIdentity {
  const r = issued.record;
  return {
    kind: 'certificate',
    cn: r.cn,
    o: r.o ? [r.o] : [],
    ou: r.ou ? [r.ou] : [],
    sans: { dns: r.sans.dns, uri: r.sans.uri, ip: r.sans.ip },
    serial: r.serial,
    fingerprint: r.fingerprint_sha256,
  };
}

export async function createMcpHarness(options: McpHarnessOptions = {}): Promise<McpHarness> {
  const pki = await createTestPki();
  const config = parseConfig(options.config ?? {}, 'test config');
  const clock = options.clock ?? (() => new Date());
  const auditLog = createAuditLog(statePaths(pki.stateDir).auditLog);
  // The same state dir as the fixture's CA, but with the audit trail wired as `mcp serve` does.
  const ca = createCertificateAuthority({ stateDir: pki.stateDir, policy: TEST_POLICY, clock, audit: auditLog });
  const deps: McpServerDeps = {
    ca,
    config,
    stateDir: pki.stateDir,
    auditLog,
    logger: createSilentLogger(),
    supervisor: options.supervisor,
    clock,
    revocations: options.revocations,
  };
  const server = createMcpServer(deps);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  if (options.identity) {
    const authInfo = authInfoFromIdentity(options.identity, scopesFor(config.mcp.authorization, options.identity));
    const send = clientTransport.send.bind(clientTransport);
    clientTransport.send = (message, opts) => send(message, { ...opts, authInfo });
  }
  await server.connect(serverTransport);
  const client = new Client({ name: 'tlsmcp-test', version: '0.0.0' }, { capabilities: options.clientCapabilities ?? {} });
  await client.connect(clientTransport);
  return {
    pki,
    deps,
    config,
    client,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    async read(uri) {
      const result = await client.readResource({ uri });
      const first = result.contents[0];
      if (!first || !('text' in first)) throw new Error(`${uri} returned no text`);
      return JSON.parse(first.text);
    },
    async close() {
      await client.close();
      await server.close();
      await auditLog.close();
      pki.cleanup();
    },
  };
}

/** The text of a tool result (errors carry their message and fix there). */
export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}
