/**
 * The proxies under test, each started as its own process in front of the same
 * backend with the same certificates, on a loopback port: tlsmcp (`tlsmcp run`
 * with a one-service config, audit and admin endpoint on, `data_path: js`), the
 * same with `data_path: native` (tlsmcp-native, when the addon is built: what
 * the default `auto` runs for such a service), the
 * naive Node pipe, and whichever of ghostunnel, haproxy and nginx are on the PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ghostunnelArgs, haproxyConfig, nginxConfig, type ForeignProxyOptions } from './foreign-configs.js';

export type TargetName = 'tlsmcp' | 'tlsmcp-native' | 'naive' | 'ghostunnel' | 'haproxy' | 'nginx';
/** `tlsmcp run` targets (one worker per core each: wait for every listener). */
export const TLSMCP_TARGETS: TargetName[] = ['tlsmcp', 'tlsmcp-native'];
export const FOREIGN: TargetName[] = ['ghostunnel', 'haproxy', 'nginx'];

export interface Material {
  dir: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Server certificate and key in one file, for haproxy. */
  combinedPemFile: string;
  /** tlsmcp's state dir (its CA issued every certificate here). */
  stateDir: string;
}

export interface RunningTarget {
  name: TargetName;
  port: number;
  /** tlsmcp targets: the admin endpoint (GET /status tells when every worker is ready). */
  adminPort?: number;
  /** The process whose tree (threads, worker processes) is measured. */
  pid: number;
  readonly exited: boolean;
  stop(): Promise<void>;
}

export interface TargetOptions {
  material: Material;
  backendPort: number;
  maxConnections: number;
  /** tlsmcp's audit trail (on as shipped). */
  audit: boolean;
  /** Run tlsmcp from the compiled dist/ (as installed) instead of the TypeScript source through tsx. */
  dist: boolean;
  /** Extra environment for the tlsmcp process (e.g. NODE_OPTIONS for profiling). */
  tlsmcpEnv?: Record<string, string>;
  /** Options of the naive pipe (bench/variants.ts). */
  naive?: { noTicket?: boolean; peer?: 'x509' | 'legacy'; workers?: number; tlsmcpOptions?: 'all' | 'tls' | 'socket' };
}

const root = fileURLToPath(new URL('..', import.meta.url));

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  s.close();
  await once(s, 'close');
  return port;
}

function onPath(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Which targets can run here: tlsmcp and the naive pipe always, tlsmcp-native once `npm run build:native` ran, the others if found. */
export function availableTargets(): TargetName[] {
  const native = existsSync(join(root, 'native', 'build', 'Release', 'tlsmcp_native.node'));
  return ['tlsmcp', ...(native ? (['tlsmcp-native'] as TargetName[]) : []), 'naive', ...FOREIGN.filter((t) => onPath(t))];
}

function ghostunnelHas(flag: string): boolean {
  const help = spawnSync('ghostunnel', ['server', '--help'], { encoding: 'utf8' });
  return `${help.stdout}${help.stderr}`.includes(flag);
}

function nginxStreamModule(): string | undefined {
  const built = spawnSync('nginx', ['-V'], { encoding: 'utf8' }).stderr ?? '';
  if (!/--with-stream=dynamic/.test(built)) return undefined;
  return ['/usr/lib/nginx/modules/ngx_stream_module.so', '/usr/share/nginx/modules/ngx_stream_module.so'].find((p) => existsSync(p));
}

function track(name: TargetName, child: ChildProcess, port: number): RunningTarget {
  let exited = child.exitCode !== null;
  child.once('exit', () => (exited = true));
  return {
    name,
    port,
    pid: child.pid!,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

/** Starts one target on a fresh port; resolves once spawned (readiness is the caller's probe). */
export async function startTarget(name: TargetName, o: TargetOptions): Promise<RunningTarget> {
  const port = await freePort();
  const m = o.material;
  const foreign: ForeignProxyOptions = { port, backendPort: o.backendPort, certFile: m.certFile, keyFile: m.keyFile, caFile: m.caFile, workers: availableParallelism(), maxConnections: o.maxConnections };
  const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
  let child: ChildProcess;
  let adminPort: number | undefined;
  switch (name) {
    case 'tlsmcp':
    case 'tlsmcp-native': {
      // Its own copy of the CA's state dir: one `tlsmcp run` per state dir at a time.
      const stateDir = join(m.dir, `state-${port}`);
      cpSync(m.stateDir, stateDir, { recursive: true });
      const config = {
        version: 1,
        state_dir: stateDir,
        logging: { level: 'warn', audit: o.audit },
        admin: { enabled: true, address: `127.0.0.1:${(adminPort = await freePort())}` },
        services: [{ name: 'bench', data_path: name === 'tlsmcp-native' ? 'native' : 'js', listen: `127.0.0.1:${port}`, backend: `127.0.0.1:${o.backendPort}`, server_cert: { cert_file: m.certFile, key_file: m.keyFile }, limits: { max_connections: o.maxConnections } }],
      };
      const file = join(m.dir, `tlsmcp-${port}.yaml`);
      writeFileSync(file, JSON.stringify(config, null, 2)); // JSON is YAML
      child = spawn(process.execPath, [join(root, 'bin/tlsmcp.js'), 'run', '--config', file, '--state', stateDir], {
        stdio,
        env: { ...process.env, ...(o.dist ? { TLSMCP_USE_DIST: '1' } : {}), ...o.tlsmcpEnv },
      });
      break;
    }
    case 'naive':
      child = spawn(process.execPath, [join(root, 'bench/naive-pipe.ts'), JSON.stringify({ port, backendPort: o.backendPort, certFile: m.certFile, keyFile: m.keyFile, caFile: m.caFile, ...o.naive })], { stdio });
      break;
    case 'haproxy': {
      const file = join(m.dir, `haproxy-${port}.cfg`);
      writeFileSync(file, haproxyConfig({ ...foreign, combinedPemFile: m.combinedPemFile }));
      child = spawn('haproxy', ['-db', '-f', file], { stdio });
      break;
    }
    case 'nginx': {
      const dir = join(m.dir, `nginx-${port}`);
      spawnSync('mkdir', ['-p', dir]);
      const file = join(dir, 'nginx.conf');
      writeFileSync(file, nginxConfig({ ...foreign, dir, streamModule: nginxStreamModule() }));
      child = spawn('nginx', ['-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', file], { stdio });
      break;
    }
    case 'ghostunnel':
      child = spawn('ghostunnel', ghostunnelArgs(foreign, { maxConnsFlag: ghostunnelHas('--max-concurrent-conns') }), { stdio });
      break;
  }
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4_000) stderr += d.toString();
  });
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL') process.stderr.write(`bench: ${name} exited (${code ?? signal}): ${stderr.slice(0, 2_000)}\n`);
  });
  const t = track(name, child, port);
  if (adminPort) t.adminPort = adminPort; // not a spread: `exited` is a getter
  return t;
}
