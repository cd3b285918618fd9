/**
 * Backend health: a TCP connect every `interval`, failed after `timeout`. The
 * listener refuses clients at once while the backend is down rather than
 * letting them hang on a dial that cannot succeed.
 */
import { connect } from 'node:net';

export interface HealthCheckOptions {
  host: string;
  port: number;
  intervalMs: number;
  timeoutMs: number;
  onChange: (ready: boolean, reason: string | undefined) => void;
  /** Another probe than the TCP connect (e.g. an HTTP GET of backend.health_path); resolves with the problem, if any. */
  probe?: (() => Promise<string | undefined>) | undefined;
}

export interface HealthCheck {
  /** Probes once now, then on the interval. Resolves after the first probe. */
  start(): Promise<boolean>;
  stop(): void;
}

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`backend ${host}:${port} did not answer within ${timeoutMs}ms`);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(`backend ${host}:${port} unreachable: ${err.code ?? err.message}`);
    });
  });
}

export function createHealthCheck(options: HealthCheckOptions): HealthCheck {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let last: boolean | undefined;
  const probe = async () => {
    const problem = await (options.probe ? options.probe() : probeTcp(options.host, options.port, options.timeoutMs));
    const ready = problem === undefined;
    if (!stopped && ready !== last) {
      last = ready;
      options.onChange(ready, problem);
    }
    return ready;
  };
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(() => void probe().then(loop), options.intervalMs);
  };
  return {
    async start() {
      const ready = await probe();
      loop();
      return ready;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
