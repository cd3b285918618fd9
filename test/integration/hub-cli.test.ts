/**
 * The hub subcommands as a user runs them: `hub init` (CA + admin credential,
 * key 0600, a rerun changes nothing), `hub token create` (JSON shape, stored
 * hashed only), and their argument errors.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCliSandbox, type CliSandbox } from '../helpers/cli.js';

let box: CliSandbox;
beforeEach(() => {
  box = createCliSandbox('tlsmcp-hub-cli-');
});
afterEach(() => box.cleanup());

describe('tlsmcp hub', () => {
  it('init writes the CA and an admin credential (key 0600) once; a rerun leaves both as they are', async () => {
    const hub = join(box.dir, 'hub');
    const first = await box.json<{ created: boolean; admin_created: boolean; admin: { cert: string; key: string } }>(['hub', 'init', '--state', hub, '--json']);
    expect(first).toMatchObject({ created: true, admin_created: true });
    expect(statSync(first.admin.key).mode & 0o777).toBe(0o600);
    const cert = readFileSync(first.admin.cert, 'utf8');
    const again = await box.json<{ created: boolean; admin_created: boolean }>(['hub', 'init', '--state', hub, '--json']);
    expect(again).toMatchObject({ created: false, admin_created: false });
    expect(readFileSync(first.admin.cert, 'utf8')).toBe(cert);
  });

  it('token create prints { token, service_id, expires_at } and stores only its hash', async () => {
    const hub = join(box.dir, 'hub');
    await box.json(['hub', 'init', '--state', hub, '--json']);
    const created = await box.json<{ token: string; service_id: string; expires_at: string }>(['hub', 'token', 'create', '--state', hub, '--service-id', 'api', '--ttl', '2h', '--json']);
    expect(created.service_id).toBe('api');
    expect(created.token).toMatch(/^tlsmcp_enr_[A-Za-z0-9_-]{43}\.[0-9a-f]{64}$/);
    expect(Date.parse(created.expires_at) - Date.now()).toBeGreaterThan(110 * 60_000);
    const db = new DatabaseSync(join(hub, 'hub.db'), { readOnly: true });
    const rows = db.prepare('SELECT * FROM tokens').all();
    db.close();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(created.token.split('.')[0]!.slice('tlsmcp_enr_'.length));
  });

  it('names the flag at fault, and says to run hub init first', async () => {
    const hub = join(box.dir, 'hub');
    const noHub = await box.run(['hub', 'token', 'create', '--state', hub, '--service-id', 'api']);
    expect(noHub.code).toBe(1);
    expect(noHub.stderr).toContain('ERR_HUB_NOT_INITIALIZED');
    expect(noHub.stderr).toContain('tlsmcp hub init');
    await box.json(['hub', 'init', '--state', hub, '--json']);
    const badTtl = await box.run(['hub', 'token', 'create', '--state', hub, '--service-id', 'api', '--ttl', 'soon']);
    expect(badTtl.code).toBe(1);
    expect(badTtl.stderr).toContain('--ttl');
    const badListen = await box.run(['hub', 'serve', '--state', hub, '--listen', 'nowhere']);
    expect(badListen.stderr).toContain('--listen');
    const noToken = await box.run(['init', '--hub-url', 'https://127.0.0.1:1', '--service-id', 'api']);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('--token');
  });
});
