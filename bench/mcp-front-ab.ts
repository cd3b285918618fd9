/**
 * Before/after for the MCP front's hop in one run: this checkout's front and the
 * front of another checkout of tlsmcp (`BASE`, e.g. an extracted older commit
 * with this node_modules linked in), each over the same stdio and HTTP
 * backends, with the direct calls, all six lanes interleaved call by call so a
 * shared machine's load falls on each alike. Each front gets the audit sink its
 * worker uses: the batched one (src/mcp-front/audit-batch.ts) when the base has
 * it, else the base's per-event stream (src/state/audit-log.ts).
 *
 *   mkdir /tmp/base && git archive <commit> | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/
 *   BENCH_MCP_CALLS=1000 npx tsx bench/mcp-front-ab.ts /tmp/base
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseConfig } from '../src/config/load.js';
import { createMtlsFetch } from '../src/connect/mtls-fetch.js';
import { createSilentLogger } from '../src/logger.js';
import { createBatchedAuditLog } from '../src/mcp-front/audit-batch.js';
import { createMcpFront, type McpFront, type McpFrontOptions } from '../src/mcp-front/index.js';
import { createAuditLog } from '../src/state/audit-log.js';
import { startTestMcpBackend } from '../test/helpers/mcp-front-backend.js';
import { openLane, stats, timeInterleaved, type Lane, type LatencyStats, issueMcpBenchCertificates } from './mcp-front.js';

const base = process.argv[2];
if (!base) {
  process.stderr.write('usage: npx tsx bench/mcp-front-ab.ts <base checkout dir>\n');
  process.exit(2);
}
const calls = Number(process.env.BENCH_MCP_CALLS ?? 500);
const { createMcpFront: createBaseFront } = (await import(pathToFileURL(resolve(base, 'src/mcp-front/index.ts')).href)) as { createMcpFront: (o: McpFrontOptions) => McpFront };

const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-bench-mcp-ab-'));
const require = createRequire(import.meta.url);
const everything = [process.execPath, require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'];
const { server, client } = await issueMcpBenchCertificates(dir);
const baseBatch = resolve(base, 'src/mcp-front/audit-batch.ts');
const baseAudit = existsSync(baseBatch)
  ? ((await import(pathToFileURL(baseBatch).href)) as { createBatchedAuditLog: typeof createBatchedAuditLog }).createBatchedAuditLog(join(dir, 'audit-base.log'))
  : createAuditLog(join(dir, 'audit-base.log'));
const newAudit = createBatchedAuditLog(join(dir, 'audit-new.log'));
const mtls = createMtlsFetch({ certPem: client.certPem, keyPem: client.keyPem, caPem: client.caPem });
const backend = await startTestMcpBackend();
const fronts: McpFront[] = [];
const start = async (make: (o: McpFrontOptions) => McpFront, auditLog: McpFrontOptions['auditLog'], backendConfig: Record<string, unknown>) => {
  const config = parseConfig({ services: [{ name: 'bench', listen: '127.0.0.1:0', protocol: 'mcp', backend: backendConfig, authorization: [{ identity: { cn: 'bench-agent' }, allow_tools: ['echo'] }] }] });
  const front = make({ service: config.services[0]!, tls: { certPem: server.certPem, keyPem: server.keyPem!, caPems: [client.caPem] }, auditLog, logger: createSilentLogger() });
  fronts.push(front);
  const { port } = await front.listen();
  return new URL(`https://127.0.0.1:${port}/mcp`);
};
const viaFront = (url: URL, args: Record<string, unknown>) => openLane(new StreamableHTTPClientTransport(url, { fetch: mtls.fetch }), 'echo', args);
try {
  const load0 = loadavg().map((l) => +l.toFixed(2));
  const [command, ...args] = everything;
  const lanes: Record<string, Lane> = {
    'stdio, direct': await openLane(new StdioClientTransport({ command: command!, args, stderr: 'ignore' }), 'echo', { message: 'bench' }),
    'stdio, base front': await viaFront(await start(createBaseFront, baseAudit, { command: everything }), { message: 'bench' }),
    'stdio, this front': await viaFront(await start(createMcpFront, newAudit, { command: everything }), { message: 'bench' }),
    'HTTP, direct': await openLane(new StreamableHTTPClientTransport(new URL(backend.url)), 'echo', { text: 'bench' }),
    'HTTP, base front': await viaFront(await start(createBaseFront, baseAudit, { url: backend.url }), { text: 'bench' }),
    'HTTP, this front': await viaFront(await start(createMcpFront, newAudit, { url: backend.url }), { text: 'bench' }),
  };
  await timeInterleaved(Object.values(lanes), calls);
  await Promise.allSettled(Object.values(lanes).map((l) => l.client.close()));
  const s: Record<string, LatencyStats> = Object.fromEntries(Object.entries(lanes).map(([k, l]) => [k, stats(l.samples, l.cpu)]));
  const load1 = loadavg().map((l) => +l.toFixed(2));
  const out = [`tools/call, ${calls} calls per lane, six lanes interleaved; node ${process.version}, ${cpus().length} cores, load ${load0.join(' ')} → ${load1.join(' ')}; base: ${base}`];
  out.push(`${''.padEnd(20)}${'p50 ms'.padEnd(9)}${'p95 ms'.padEnd(9)}${'p99 ms'.padEnd(9)}${'mean ms'.padEnd(9)}CPU µs/call p50 (this process: client, front, HTTP backend)`);
  for (const [k, v] of Object.entries(s)) out.push(`${k.padEnd(20)}${`${v.p50}`.padEnd(9)}${`${v.p95}`.padEnd(9)}${`${v.p99}`.padEnd(9)}${`${v.mean}`.padEnd(9)}${v.cpu_us_p50}`);
  for (const kind of ['stdio', 'HTTP']) {
    const d = s[`${kind}, direct`]!;
    for (const which of ['base front', 'this front']) {
      const f = s[`${kind}, ${which}`]!;
      out.push(`added over ${kind} direct by the ${which}: p50 ${(f.p50 - d.p50).toFixed(3)} ms, p99 ${(f.p99 - d.p99).toFixed(3)} ms, CPU p50 ${f.cpu_us_p50! - d.cpu_us_p50!} µs`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n${JSON.stringify({ calls, load: [load0, load1], lanes: s })}\n`);
} finally {
  await Promise.allSettled(fronts.map((f) => f.close()));
  await backend.close();
  await mtls.destroy();
  await baseAudit.close();
  await newAudit.close();
  rmSync(dir, { recursive: true, force: true });
}
