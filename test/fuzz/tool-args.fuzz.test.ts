/**
 * Property-based fuzzing (fast-check, fixed seed, bounded runs) of every MCP
 * tool's input schema and argument handling, through a real SDK Client. The
 * property: any arguments give a tool result (isError or not) or the SDK's
 * invalid-params error, never an internal error, a crash or a dead server.
 * Scan targets are drawn so that none would reach the network: refused
 * addresses, malformed targets and over-long ones, with every other field free.
 */
import fc from 'fast-check';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpHarness, type McpHarness } from '../helpers/mcp-harness.js';

const SEED = 20261129;
let h: McpHarness;
let tools: { name: string; properties: string[] }[];
beforeAll(async () => {
  h = await createMcpHarness();
  await h.pki.client('fuzz-existing');
  tools = (await h.client.listTools()).tools.map((t) => ({ name: t.name, properties: Object.keys(t.inputSchema.properties ?? {}) }));
});
afterAll(() => h.close());

/** JSON values an agent could send, with strings that carry control characters and unicode. */
const jsonValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', 'api', 'client', 'server', '24h', '-1s', '9999999999d', '../../etc/passwd', 'a\u0000b', 'x\u2028y', '127.0.0.1:1', 'revoked', 'keyCompromise'),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Targets that never leave the host: refused by the built-in rules, or malformed. */
const safeTarget = fc.oneof(
  fc.constantFrom('169.254.169.254:80', '0.0.0.0:443', '[::]:443', '[fe80::1]:443', 'metadata.google.internal:80', '0:1', '2852039166:80', 'host:99999', 'a b:1', '[::1', ':443', '', 'x'.repeat(400)),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -5, max: 70_000 })).map(([a, b, port]) => `169.254.${a}.${b}:${port}`),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `${s} /${s}`),
);

async function callCleanly(name: string, args: Record<string, unknown>): Promise<void> {
  let result: CallToolResult | undefined;
  try {
    result = await h.call(name, args);
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code !== -32602) throw new Error(`${name}(${JSON.stringify(args).slice(0, 200)}) failed with ${code}: ${(err as Error).message}`);
    return;
  }
  expect(typeof result.isError === 'boolean' || result.isError === undefined).toBe(true);
  if (result.isError) {
    const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    expect(text.length).toBeGreaterThan(0);
    // A tool failure is an expected error with a code, never an unhandled one.
    expect(text).not.toMatch(/ERR_INTERNAL|TypeError|ReferenceError|Cannot read propert/);
  }
}

describe('fuzz: MCP tool arguments', () => {
  it('every tool: any arguments (known keys, wrong types, extras) give a clean result or invalid-params, and the server stays up', async () => {
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['tlsmcp_cert_issue', 'tlsmcp_cert_revoke', 'tlsmcp_scan', 'tlsmcp_score']));
    const callArb = fc.constantFrom(...tools).chain((tool) =>
      fc.record({
        name: fc.constant(tool.name),
        args: fc.dictionary(fc.oneof(fc.constantFrom(...(tool.properties.length ? tool.properties : ['x'])), fc.string({ maxLength: 6 })), jsonValue, { maxKeys: 6 }),
        target: safeTarget,
      }),
    );
    await fc.assert(
      fc.asyncProperty(callArb, async ({ name, args, target }) => {
        // The scan tool would dial whatever it is given: keep its target on the safe side.
        const finalArgs = name === 'tlsmcp_scan' ? { ...args, target } : name === 'tlsmcp_score' ? { ...args, scan_listeners: false } : args;
        await callCleanly(name, finalArgs);
      }),
      { seed: SEED, numRuns: 400 },
    );
    await h.client.ping();
  });

  it('tlsmcp_cert_issue: any string in cn/o/ou/dns/uri issues exactly that or is refused with a code', async () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
    await fc.assert(
      fc.asyncProperty(text, fc.option(text, { nil: undefined }), fc.array(text, { maxLength: 2 }), fc.array(text, { maxLength: 2 }), async (cn, o, dns, uri) => {
        const args = { service: 'fuzz', cn, ...(o === undefined ? {} : { o }), dns, uri };
        let result: CallToolResult;
        try {
          result = await h.call('tlsmcp_cert_issue', args);
        } catch (err) {
          expect((err as { code?: number }).code).toBe(-32602);
          return;
        }
        if (result.isError) {
          const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
          expect(text).toMatch(/ERR_ARGUMENT_INVALID|Input validation error|Invalid/);
          return;
        }
        expect(result.structuredContent).toMatchObject({ cn });
      }),
      { seed: SEED, numRuns: 80 },
    );
  });
});
