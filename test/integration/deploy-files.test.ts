/**
 * The deployment files hold what the documents promise: the systemd unit passes
 * `systemd-analyze verify` and has the hardening; the Kubernetes manifests (read
 * with the `yaml` package) run an app plus a tlsmcp sidecar with config, token,
 * probes and state wired to each other; the Dockerfile (read with
 * `dockerfile-ast`) is multi-stage on Node 24, non-root, health-checked. The
 * configs they ship are loaded with tlsmcp's own config loader.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { REPO_ROOT } from '../helpers/cli.js';

const read = (rel: string) => readFileSync(join(REPO_ROOT, rel), 'utf8');
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A unit file as section → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/**
 * `systemd-analyze verify` on a unit inside a scratch root that holds the
 * system's unit files and the unit's commands, so it checks the unit without
 * tlsmcp being installed on this machine.
 */
function verifyUnit(unitText: string): { status: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'tlsmcp-unit-root-'));
  temps.push(root);
  mkdirSync(join(root, 'etc', 'systemd', 'system'), { recursive: true });
  mkdirSync(join(root, 'usr', 'lib', 'systemd'), { recursive: true });
  cpSync('/usr/lib/systemd/system', join(root, 'usr', 'lib', 'systemd', 'system'), { recursive: true });
  const unit = parseUnit(unitText).get('Service')!;
  for (const key of ['ExecStart', 'ExecReload']) {
    for (const cmd of unit.get(key) ?? []) {
      const bin = cmd.replace(/^[-@:+!]+/, '').split(/\s+/)[0]!;
      mkdirSync(join(root, bin, '..'), { recursive: true });
      if (existsSync(bin)) copyFileSync(bin, join(root, bin));
      else writeFileSync(join(root, bin), '#!/bin/sh\n');
      chmodSync(join(root, bin), 0o755);
    }
  }
  const file = join(root, 'etc', 'systemd', 'system', 'tlsmcp.service');
  writeFileSync(file, unitText);
  const result = spawnSync('systemd-analyze', ['verify', `--root=${root}`, file], { encoding: 'utf8', cwd: root });
  if (result.error) throw new Error(`systemd-analyze cannot run (${result.error.message}): .ci/run installs the systemd package`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe('deploy/systemd/tlsmcp.service', () => {
  const text = read('deploy/systemd/tlsmcp.service');
  const unit = parseUnit(text);
  const service = unit.get('Service')!;
  const one = (key: string) => service.get(key)?.at(-1);

  it('passes systemd-analyze verify, which does flag a misspelt key', () => {
    expect(verifyUnit(text)).toEqual({ status: 0, output: '' });
    const broken = verifyUnit(text.replace('NoNewPrivileges=yes', 'NoNewPrivilegs=yes'));
    expect(broken.output).toMatch(/Unknown key 'NoNewPrivilegs'/);
  });

  it('runs tlsmcp with the documented hardening, restart and SIGHUP reload', () => {
    expect(one('ExecStart')).toMatch(/\/tlsmcp run$/);
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ReadWritePaths')?.split(/\s+/)).toContain('/var/lib/tlsmcp');
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('Restart')).toBe('always');
    expect(one('ExecReload')).toMatch(/kill -HUP \$MAINPID$/);
    expect(service.get('Environment')).toEqual(expect.arrayContaining(['TLSMCP_CONFIG=/etc/tlsmcp/tlsmcp.yaml', 'TLSMCP_HOME=/var/lib/tlsmcp']));
    expect(one('User')).not.toBe('root');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });
});

interface K8sDoc {
  kind: string;
  metadata: { name: string };
  [key: string]: unknown;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean };
  containers: Container[];
  volumes: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string }; emptyDir?: object }[];
}

describe('deploy/kubernetes', () => {
  const kustomization = parseAllDocuments(read('deploy/kubernetes/kustomization.yaml'))[0]!.toJS() as { resources: string[] };
  const docs: K8sDoc[] = kustomization.resources.flatMap((file) =>
    parseAllDocuments(read(join('deploy/kubernetes', file))).map((d) => {
      expect(d.errors, file).toEqual([]);
      return d.toJS() as K8sDoc;
    }),
  );
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployment = byKind('Deployment')[0] as K8sDoc & { spec: { template: { spec: PodSpec } } };
  const pod = deployment.spec.template.spec;
  const sidecar = pod.containers.find((c) => c.name === 'tlsmcp')!;
  const portNumber = (port: string | number) => (typeof port === 'number' ? port : sidecar.ports!.find((p) => p.name === port)!.containerPort);
  const envValue = (name: string) => sidecar.env?.find((e) => e.name === name);

  it('runs an app container and a tlsmcp sidecar as non-root', () => {
    expect(pod.containers).toHaveLength(2);
    expect(pod.containers.find((c) => c.name !== 'tlsmcp')).toBeDefined();
    expect(sidecar.image).toMatch(/tlsmcp/);
    expect(sidecar.args).toEqual(['run']);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
  });

  it('mounts the config from the ConfigMap where TLSMCP_CONFIG points, and the config loads', () => {
    const mount = sidecar.volumeMounts!.find((m) => m.mountPath === '/etc/tlsmcp')!;
    expect(mount.readOnly).toBe(true);
    const volume = pod.volumes.find((v) => v.name === mount.name)!;
    const configMap = byKind('ConfigMap').find((c) => c.metadata.name === volume.configMap?.name) as K8sDoc & { data: Record<string, string> };
    expect(configMap).toBeDefined();
    const configFile = envValue('TLSMCP_CONFIG')!.value!;
    expect(configFile.startsWith('/etc/tlsmcp/')).toBe(true);
    const text = configMap.data[configFile.slice('/etc/tlsmcp/'.length)]!;
    const config = parseConfigText(text, 'configmap', { env: { SERVICE_ID: envValue('SERVICE_ID')?.value, HUB_URL: envValue('HUB_URL')?.value } });
    expect(config.services.map((s) => s.listen.address.port)).toEqual(sidecar.ports!.filter((p) => p.name === 'mtls').map((p) => p.containerPort));
    // The kubelet probes the admin port on the pod IP.
    expect(config.admin.enabled).toBe(true);
    expect(config.admin.address.port).toBe(portNumber(sidecar.livenessProbe!.httpGet!.port));
    expect(config.admin.address.host).toBe('0.0.0.0');
  });

  it('probes liveness on /health and readiness on /ready', () => {
    expect(sidecar.livenessProbe?.httpGet?.path).toBe('/health');
    expect(sidecar.readinessProbe?.httpGet?.path).toBe('/ready');
    expect(portNumber(sidecar.readinessProbe!.httpGet!.port)).toBe(portNumber(sidecar.livenessProbe!.httpGet!.port));
  });

  it('takes the Hub token from the Secret and keeps the state dir on a persistent volume', () => {
    const ref = envValue('HUB_TOKEN')?.valueFrom?.secretKeyRef;
    const secret = byKind('Secret').find((s) => s.metadata.name === ref?.name) as (K8sDoc & { stringData?: Record<string, string>; data?: Record<string, string> }) | undefined;
    expect(secret).toBeDefined();
    expect(Object.keys({ ...secret!.data, ...secret!.stringData })).toContain(ref!.key);
    expect(envValue('TLSMCP_HOME')?.value).toBe('/var/lib/tlsmcp');
    const mount = sidecar.volumeMounts!.find((m) => m.mountPath === '/var/lib/tlsmcp')!;
    const volume = pod.volumes.find((v) => v.name === mount.name)!;
    expect(byKind('PersistentVolumeClaim').map((p) => p.metadata.name)).toContain(volume.persistentVolumeClaim?.claimName);
  });
});

describe('Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(read('Dockerfile'));
  const instructions = dockerfile.getInstructions();
  const stages: Instruction[][] = [];
  for (const i of instructions) {
    if (i.getKeyword() === 'FROM') stages.push([]);
    stages.at(-1)?.push(i);
  }
  const runtime = stages.at(-1)!;
  const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
  const inRuntime = (keyword: string) => runtime.filter((i) => i.getKeyword() === keyword);
  const env = new Map(dockerfile.getENVs().flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()] as const)));
  const dockerignore = read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));

  it('is multi-stage on the Node 24 image', () => {
    const froms = dockerfile.getFROMs();
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(`${from.getImageName()}:${from.getImageTag()}`).toMatch(/^node:24(\b|-)/);
    expect(runtime.filter((i) => i.getKeyword() === 'COPY').some((c) => c.toString().includes('--from='))).toBe(true);
  });

  it('runs as a non-root user with a HEALTHCHECK on /health', () => {
    const user = inRuntime('USER').at(-1);
    expect(user && args(user)[0]).toMatch(/^(?!root$|0$)/);
    const health = inRuntime('HEALTHCHECK').at(-1)!.toString();
    expect(health).toMatch(/http:\/\/127\.0\.0\.1:\d+\/health/);
    // The port it probes is the admin port of the config the image ships.
    const port = Number(/127\.0\.0\.1:(\d+)\/health/.exec(health)![1]);
    const copied = inRuntime('COPY').map(args).find((a) => a.at(-1) === '/etc/tlsmcp/tlsmcp.yaml')!;
    const config = parseConfigText(read(copied[0]!), copied[0]);
    expect(config.admin.address.port).toBe(port);
  });

  it('keeps config at /etc/tlsmcp and state at /var/lib/tlsmcp, honouring TLSMCP_CONFIG, HUB_URL and SERVICE_ID', () => {
    expect(env.get('TLSMCP_CONFIG')).toBe('/etc/tlsmcp/tlsmcp.yaml');
    expect(env.get('TLSMCP_HOME')).toBe('/var/lib/tlsmcp');
    expect([...env.keys()]).toEqual(expect.arrayContaining(['HUB_URL', 'SERVICE_ID']));
    expect(inRuntime('VOLUME').flatMap(args).map((v) => v.replace(/[[\]",]/g, ''))).toContain('/var/lib/tlsmcp');
    expect(inRuntime('ENTRYPOINT').flatMap(args).join(' ')).toMatch(/tlsmcp/);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const sources = instructions
      .filter((i) => i.getKeyword() === 'COPY' && !i.toString().includes('--from='))
      .flatMap((i) => args(i).slice(0, -1));
    expect(sources.length).toBeGreaterThan(3);
    for (const src of sources) {
      expect(existsSync(join(REPO_ROOT, src)), src).toBe(true);
      expect(dockerignore.filter((pattern) => src === pattern || src.startsWith(`${pattern}/`)), src).toEqual([]);
    }
  });
});
