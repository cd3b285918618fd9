/**
 * Configurations for the foreign proxies the bench compares against, written
 * into its temp dir: haproxy (`verify required`) and nginx (a `stream` proxy
 * with `ssl_verify_client on`), both TLS 1.3 only, mTLS required, loopback
 * only, TLS terminated and plain TCP forwarded to the same backend as tlsmcp;
 * ghostunnel's command line. Pure functions, so a test can check them.
 */

export interface ForeignProxyOptions {
  /** Loopback port to listen on. */
  port: number;
  backendPort: number;
  /** PEM files: the server certificate, its key, and the CA that client certificates must chain to. */
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Threads or worker processes: one per core, as each proxy recommends. */
  workers: number;
  /** Connection limit, above the bench's idle-connection count. */
  maxConnections: number;
}

/** haproxy.cfg; haproxy takes the certificate and key in one PEM (`combinedPemFile`). */
export function haproxyConfig(o: ForeignProxyOptions & { combinedPemFile: string }): string {
  return [
    'global',
    `  nbthread ${o.workers}`,
    `  maxconn ${o.maxConnections}`,
    '  ssl-default-bind-options ssl-min-ver TLSv1.3',
    '',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 300s',
    '  timeout server 300s',
    '',
    'frontend bench',
    `  bind 127.0.0.1:${o.port} ssl crt ${o.combinedPemFile} ca-file ${o.caFile} verify required ssl-min-ver TLSv1.3`,
    `  maxconn ${o.maxConnections}`,
    '  default_backend backend',
    '',
    'backend backend',
    `  server b1 127.0.0.1:${o.backendPort}`,
    '',
  ].join('\n');
}

/** nginx.conf for `nginx -p <dir> -c <file>`: foreground, a `stream` server, logs into `dir`. */
export function nginxConfig(o: ForeignProxyOptions & { dir: string; streamModule: string | undefined }): string {
  return [
    ...(o.streamModule ? [`load_module ${o.streamModule};`] : []),
    'daemon off;',
    `worker_processes ${o.workers};`,
    `worker_rlimit_nofile ${o.maxConnections * 2 + 100};`,
    `pid ${o.dir}/nginx.pid;`,
    `error_log ${o.dir}/nginx-error.log warn;`,
    `events { worker_connections ${o.maxConnections * 2}; }`,
    'stream {',
    '  server {',
    `    listen 127.0.0.1:${o.port} ssl;`,
    `    ssl_certificate ${o.certFile};`,
    `    ssl_certificate_key ${o.keyFile};`,
    `    ssl_client_certificate ${o.caFile};`,
    '    ssl_verify_client on;',
    '    ssl_protocols TLSv1.3;',
    `    proxy_pass 127.0.0.1:${o.backendPort};`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** ghostunnel's arguments for server mode in front of the backend, any client certificate from the CA allowed. */
export function ghostunnelArgs(o: ForeignProxyOptions, options: { maxConnsFlag?: boolean } = {}): string[] {
  const base = ['server', '--listen', `127.0.0.1:${o.port}`, '--target', `127.0.0.1:${o.backendPort}`, '--cert', o.certFile, '--key', o.keyFile, '--cacert', o.caFile, '--allow-all'];
  // --max-concurrent-conns came after ghostunnel 1.7 (1.7.3 refuses it; it has no cap then).
  return options.maxConnsFlag === false ? base : [...base, '--max-concurrent-conns', String(o.maxConnections)];
}
