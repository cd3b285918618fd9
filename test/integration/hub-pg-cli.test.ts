/**
 * `--database-url` on the hub commands when it cannot work: a URL that is not
 * postgres:// is refused up front, and an unreachable database gives
 * ERR_HUB_DATABASE with a fix and without the password.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { eventWithin } from '../helpers/proxy-wait.js';

let dir: string;
let closedPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsmcp-hub-pg-cli-'));
  const r = await runCli(['hub', 'init', '--state', dir]);
  if (r.code !== 0) throw new Error(r.stderr);
  // A port nothing listens on.
  const server = createServer().listen(0, '127.0.0.1');
  await eventWithin(server, 'listening', 5_000);
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hub commands with --database-url', () => {
  it('refuses a URL that is not postgres://', async () => {
    const r = await runCli(['hub', 'token', 'create', '--state', dir, '--service-id', 'api', '--json', '--database-url', 'mysql://root:pw@127.0.0.1/hub']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'ERR_ARGUMENT_INVALID' } });
    expect(r.stdout + r.stderr).not.toContain(':pw@');
  });

  it('reports an unreachable database as ERR_HUB_DATABASE without its password', async () => {
    const url = `postgres://hub:s3cret-pw@127.0.0.1:${closedPort}/hub`;
    for (const args of [
      ['hub', 'token', 'create', '--state', dir, '--service-id', 'api', '--json', '--database-url', url],
      ['hub', 'init', '--state', dir, '--json', '--database-url', url],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      const body = JSON.parse(r.stdout) as { error: { code: string; message: string; fix: string } };
      expect(body.error.code).toBe('ERR_HUB_DATABASE');
      expect(body.error.fix).toMatch(/PostgreSQL/);
      expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
    }
  });

  it('reads database_url from the Hub config (--config), and validates it there', async () => {
    const good = join(dir, 'hub-good.yaml');
    writeFileSync(good, `database_url: postgres://hub:s3cret-pw@127.0.0.1:${closedPort}/hub\n`);
    const r = await runCli(['--config', good, 'hub', 'token', 'create', '--state', dir, '--service-id', 'api', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'ERR_HUB_DATABASE' } });
    const bad = join(dir, 'hub-bad.yaml');
    writeFileSync(bad, 'database_url: sqlite:///tmp/x.db\n');
    const invalid = await runCli(['--config', bad, 'hub', 'token', 'create', '--state', dir, '--service-id', 'api', '--json']);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ error: { code: 'ERR_CONFIG_INVALID' } });
    expect(JSON.parse(invalid.stdout).error.message).toContain('database_url');
  });
});
