/**
 * A throwaway PostgreSQL cluster for tests, from Debian's packages (`.ci/run`
 * installs `postgresql`): initdb in a temp dir, `postgres` on a free loopback
 * port with password auth, and everything removed on stop(). initdb and
 * postgres refuse to run as root, so as root they run as the `postgres` user
 * (setpriv execs in place, so the child's pid is the postmaster's and signals
 * reach it directly).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventWithin, waitFor } from './proxy-wait.js';

export interface PostgresCluster {
  /** postgres://tlsmcp:PASSWORD@127.0.0.1:PORT/DB for a fresh database. */
  createDatabase(name: string): Promise<string>;
  port: number;
  /** What the server wrote to stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const USER = 'tlsmcp';
const PASSWORD = 'test-only-password';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql (.ci/run does)');
  return join(root, newest, 'bin');
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await eventWithin(server, 'listening', 5_000);
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The command prefix that runs a PostgreSQL binary as a non-root user when we are root. */
function asPostgres(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { prefix: ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'], uid: id('-u'), gid: id('-g') };
}

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = binDir();
  const user = asPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'tlsmcp-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, PASSWORD + '\n', { mode: 0o600 });
  if (user.uid !== undefined) {
    chownSync(dir, user.uid, user.gid!);
    chownSync(pwfile, user.uid, user.gid!);
  }
  const run = (cmd: string, args: string[]) => {
    const [file, ...rest] = [...user.prefix, join(bin, cmd), ...args];
    return { file: file!, args: rest };
  };
  const init = run('initdb', ['-D', data, '-U', USER, '--pwfile', pwfile, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const initResult = spawnSync(init.file, init.args, { encoding: 'utf8' });
  if (initResult.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed:\n${initResult.stderr || initResult.error?.message}`);
  }

  let child: ChildProcess | undefined;
  let out = '';
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    // fsync off: a test cluster is thrown away; the Hub's own durability is per transaction either way.
    const start = run('postgres', ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'max_connections=200']);
    const c = spawn(start.file, start.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    out = '';
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(
        async () => {
          if (c.exitCode !== null) throw new Error(`postgres exited:\n${out}`);
          const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
          client.on('error', () => undefined);
          try {
            await client.connect();
            await client.end();
            return true;
          } catch {
            return false;
          }
        },
        { timeoutMs: 60_000, what: 'postgres to accept connections' },
      );
      child = c;
    } catch (err) {
      c.kill('SIGKILL');
      if (!/could not bind|Address already in use/.test(out) || attempt === 4) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const postmaster = child!;

  return {
    port,
    output: () => out,
    async createDatabase(name: string) {
      const admin = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await admin.end();
      }
      return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (postmaster.exitCode === null && postmaster.signalCode === null) {
        // SIGINT = fast shutdown: ends sessions, no waiting for clients.
        postmaster.kill('SIGINT');
        await eventWithin(postmaster, 'exit', 20_000).catch(async () => {
          postmaster.kill('SIGKILL');
          await eventWithin(postmaster, 'exit', 5_000);
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
