import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ghostunnelArgs, haproxyConfig, nginxConfig, type ForeignProxyOptions } from '../../../bench/foreign-configs.js';

const ghostunnelOnPath = spawnSync('ghostunnel', ['--version']).error === undefined;

const base: ForeignProxyOptions = { port: 41000, backendPort: 42000, certFile: '/d/server.pem', keyFile: '/d/server.key', caFile: '/d/ca.pem', workers: 2, maxConnections: 9_700 };

describe('bench foreign proxy configs', () => {
  it('haproxy requires a client certificate from the CA, TLS 1.3 only, on loopback, forwarding plain TCP', () => {
    const cfg = haproxyConfig({ ...base, combinedPemFile: '/d/combined.pem' });
    const bind = cfg.split('\n').find((l) => l.trim().startsWith('bind '))!;
    expect(bind).toContain('127.0.0.1:41000 ssl crt /d/combined.pem');
    expect(bind).toContain('ca-file /d/ca.pem verify required');
    expect(bind).toContain('ssl-min-ver TLSv1.3');
    expect(cfg).toMatch(/^\s+mode tcp$/m);
    expect(cfg).toMatch(/^\s+server b1 127\.0\.0\.1:42000$/m);
    expect(cfg).toMatch(/^\s+nbthread 2$/m);
    expect(cfg).toMatch(/^\s+maxconn 9700$/m);
  });

  it('nginx is a stream proxy with ssl_verify_client on, TLS 1.3 only, on loopback, in the foreground', () => {
    const cfg = nginxConfig({ ...base, dir: '/d/nginx', streamModule: '/usr/lib/nginx/modules/ngx_stream_module.so' });
    expect(cfg.startsWith('load_module /usr/lib/nginx/modules/ngx_stream_module.so;')).toBe(true);
    expect(cfg).toContain('daemon off;');
    expect(cfg).toContain('worker_processes 2;');
    expect(cfg).toMatch(/stream \{\s+server \{\s+listen 127\.0\.0\.1:41000 ssl;/);
    expect(cfg).toContain('ssl_client_certificate /d/ca.pem;');
    expect(cfg).toContain('ssl_verify_client on;');
    expect(cfg).toContain('ssl_protocols TLSv1.3;');
    expect(cfg).toContain('proxy_pass 127.0.0.1:42000;');
    // Two descriptors per proxied connection must fit under worker_rlimit_nofile.
    expect(cfg).toContain(`worker_rlimit_nofile ${9_700 * 2 + 100};`);
  });

  it('nginx without a dynamic stream module (built in) loads none', () => {
    expect(nginxConfig({ ...base, dir: '/d', streamModule: undefined })).not.toContain('load_module');
  });

  it('ghostunnel runs in server mode on loopback with the CA and the same certificate', () => {
    const args = ghostunnelArgs(base);
    expect(args[0]).toBe('server');
    expect(args.join(' ')).toContain('--listen 127.0.0.1:41000 --target 127.0.0.1:42000 --cert /d/server.pem --key /d/server.key --cacert /d/ca.pem --allow-all');
  });

  it.skipIf(!ghostunnelOnPath)('every flag ghostunnelArgs passes is one the installed ghostunnel lists in `server --help`', () => {
    // ghostunnel 1.7.3 (built with Go 1.19) exits with "unknown long flag" on e.g. --max-concurrent-conns, added later.
    const help = spawnSync('ghostunnel', ['server', '--help'], { encoding: 'utf8' });
    const listed = new Set([...`${help.stdout}${help.stderr}`.matchAll(/--(?:\[no-\])?([a-z][a-z0-9-]*)/g)].map((m) => `--${m[1]}`));
    expect(listed.has('--listen')).toBe(true);
    // As bench/targets.ts calls it: the connection cap only where this ghostunnel has the flag.
    const flags = ghostunnelArgs(base, { maxConnsFlag: listed.has('--max-concurrent-conns') }).filter((a) => a.startsWith('--'));
    expect(flags.filter((f) => !listed.has(f))).toEqual([]);
  });
});
