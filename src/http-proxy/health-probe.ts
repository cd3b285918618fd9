/**
 * `backend.health_path`: the backend health check as an HTTP GET. Up means an
 * answer of 2xx or 3xx within the timeout; anything else is the reason it is down.
 */
// node:http without Node's fetch stack: every proxy worker imports this module (src/util/node-http.ts).
import { nodeHttp } from '../util/node-http.js';

export function probeHttp(backend: { host: string; port: number }, path: string, timeoutMs: number): Promise<string | undefined> {
  const where = `backend ${backend.host}:${backend.port}${path}`;
  return new Promise((resolve) => {
    const req = nodeHttp().request({ host: backend.host, port: backend.port, path, method: 'GET', agent: false, headers: { 'user-agent': 'tlsmcp-health' } });
    const timer = setTimeout(() => req.destroy(new Error(`did not answer within ${timeoutMs}ms`)), timeoutMs);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? undefined : `${where} answered HTTP ${status}`);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(`${where} unreachable: ${err.code ?? err.message}`);
    });
    req.end();
  });
}
