/**
 * A real fleet for Hub tests: `tlsmcp hub serve` and `tlsmcp run` as child
 * processes, an admin client presenting the admin certificate `hub init`
 * wrote, and TLS clients holding Hub-issued certificates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { createMtlsFetch, type MtlsFetch } from '../../src/connect/mtls-fetch.js';
import { generateKeyPair, keyAlgorithms } from '../../src/ca/keys.js';
import { x509 } from '../../src/ca/x509.js';
import { statePaths } from '../../src/state/state-dir.js';
import { CLI_BIN, runCli } from './cli.js';
import { eventWithin, waitFor } from './proxy-wait.js';

export interface ChildHandle {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function spawnCli(args: string[]): ChildHandle {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TLSMCP_')) env[k] = v;
  const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await eventWithin(child, 'exit', 15_000).catch(async () => {
        child.kill('SIGKILL');
        await eventWithin(child, 'exit', 5_000);
      });
    },
  };
}

export interface HubProcess extends ChildHandle {
  url: string;
  port: number;
}

export async function startHubProcess(stateDir: string, listen = '127.0.0.1:0'): Promise<HubProcess> {
  const handle = spawnCli(['hub', 'serve', '--state', stateDir, '--listen', listen, '--log-level', 'warn']);
  const url = await waitFor(
    () => {
      if (handle.child.exitCode !== null) throw new Error(`hub serve exited early:\n${handle.output()}`);
      return /hub listening on (https:\/\/\S+)/.exec(handle.output())?.[1];
    },
    { timeoutMs: 60_000, what: 'hub serve to listen' },
  );
  return { ...handle, url, port: Number(new URL(url).port) };
}

export async function hubInit(stateDir: string): Promise<void> {
  const r = await runCli(['hub', 'init', '--state', stateDir]);
  if (r.code !== 0) throw new Error(`hub init failed:\n${r.stderr}`);
}

export async function createToken(hubState: string, serviceId: string, ttl = '1h'): Promise<string> {
  const r = await runCli(['hub', 'token', 'create', '--state', hubState, '--service-id', serviceId, '--ttl', ttl, '--json']);
  if (r.code !== 0) throw new Error(`token create failed:\n${r.stderr}`);
  return (JSON.parse(r.stdout) as { token: string }).token;
}

export interface SidecarProcess extends ChildHandle {
  stateDir: string;
  port: number;
  /** http://127.0.0.1:PORT of its admin endpoint. */
  admin: string;
  configFile: string;
}

/** Writes the sidecar config (service `serviceId`, hub.url, a fast sync_interval) and starts `tlsmcp run`. */
export async function startSidecarProcess(options: { dir: string; hubUrl: string | string[]; serviceId: string; backendPort: number; syncInterval?: string; authToken?: string }): Promise<SidecarProcess> {
  const stateDir = join(options.dir, 'state');
  const configFile = join(options.dir, 'tlsmcp.yaml');
  const urls = Array.isArray(options.hubUrl) ? options.hubUrl : [options.hubUrl];
  writeFileSync(
    configFile,
    [
      'version: 1',
      `service_id: ${options.serviceId}`,
      'listen: "127.0.0.1:0"',
      `backend: "127.0.0.1:${options.backendPort}"`,
      `hub: { url: [${urls.map((u) => JSON.stringify(u)).join(', ')}], sync_interval: ${options.syncInterval ?? '1s'}${options.authToken ? `, auth_token: ${JSON.stringify(options.authToken)}` : ''} }`,
      'admin: { address: "127.0.0.1:0" }',
      'logging: { level: info }',
      '',
    ].join('\n'),
  );
  const runtimeFile = statePaths(stateDir).runtimeFile;
  const handle = spawnCli(['--state', stateDir, '--config', configFile, 'run']);
  const info = await waitFor(
    () => {
      if (handle.child.exitCode !== null) throw new Error(`tlsmcp run exited early:\n${handle.output()}`);
      if (!existsSync(runtimeFile)) return undefined;
      const parsed = JSON.parse(readFileSync(runtimeFile, 'utf8')) as { pid: number; admin: { port: number }; services: { listen: string }[] };
      return parsed.pid === handle.child.pid ? parsed : undefined;
    },
    { timeoutMs: 60_000, what: 'tlsmcp run to listen' },
  );
  return { ...handle, stateDir, configFile, port: Number(info.services[0]!.listen.split(':').pop()), admin: `http://127.0.0.1:${info.admin.port}` };
}

export async function enrollSidecar(dir: string, hubUrl: string, serviceId: string, token: string) {
  return runCli(['--state', join(dir, 'state'), 'init', '--hub-url', hubUrl, '--service-id', serviceId, '--token', token, '--json']);
}

export interface AdminApi {
  http: MtlsFetch;
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export function adminApi(hubState: string, hubUrl: string): AdminApi {
  const dir = join(hubState, 'admin');
  const http = createMtlsFetch({ certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'), caPem: readFileSync(join(dir, 'ca.pem'), 'utf8') });
  return {
    http,
    async call<T>(method: string, path: string, body?: unknown) {
      const res = await http.fetch(`${hubUrl}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
  };
}

export interface ClientCert {
  id: string;
  serial: string;
  certPem: string;
  keyPem: string;
  caPem: string;
}

/** A client certificate from POST /api/v1/certs/issue; from a CSR (key made here) unless `hubKey`. */
export async function issueClientCert(api: AdminApi, service: string, { hubKey = false } = {}): Promise<ClientCert> {
  let keyPem: string | undefined;
  let csr: string | undefined;
  if (!hubKey) {
    const key = await generateKeyPair('ecdsa-p256');
    keyPem = key.keyPem;
    csr = (await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${service}`, keys: key.keys, signingAlgorithm: keyAlgorithms('ecdsa-p256').signingAlgorithm })).toString('pem');
  }
  const res = await api.call<{ id: string; serial: string; cert_pem: string; ca_pem: string; key_pem?: string }>('POST', '/api/v1/certs/issue', { type: 'client', service, ...(csr ? { csr } : {}) });
  if (res.status !== 200) throw new Error(`issue failed: ${JSON.stringify(res.body)}`);
  return { id: res.body.id, serial: res.body.serial, certPem: res.body.cert_pem, keyPem: keyPem ?? res.body.key_pem!, caPem: res.body.ca_pem };
}

/** An echoing TLS connection through a sidecar, open once the echo came back; rejects when refused. */
export async function openEcho(port: number, cert: ClientCert): Promise<TLSSocket> {
  const socket = connect({ host: '127.0.0.1', port, ca: cert.caPem, servername: 'localhost', cert: cert.certPem, key: cert.keyPem });
  return new Promise((resolve, reject) => {
    let data = '';
    socket.on('error', reject);
    socket.once('close', () => reject(new Error(`connection closed before the echo (got ${JSON.stringify(data)})`)));
    socket.once('secureConnect', () => socket.write('ping'));
    socket.on('data', (d: Buffer) => {
      data += d.toString();
      if (data === 'ping') {
        socket.removeAllListeners('close');
        socket.removeListener('error', reject);
        socket.on('error', () => undefined);
        resolve(socket);
      }
    });
  });
}

/** True when a connection with `cert` echoes through the sidecar. */
export async function echoes(port: number, cert: ClientCert): Promise<boolean> {
  try {
    const s = await openEcho(port, cert);
    s.destroy();
    return true;
  } catch {
    return false;
  }
}
