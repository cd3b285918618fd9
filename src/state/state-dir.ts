/**
 * Where tlsmcp keeps its CA, inventory, revocations and audit log, and the names
 * of the files inside. Precedence: --state, TLSMCP_HOME, config state_dir, ~/.tlsmcp.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface StateDirInputs {
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  configStateDir?: string | undefined;
}

export function resolveStateDir({ flag, env = process.env, configStateDir }: StateDirInputs): string {
  const chosen = flag ?? env.TLSMCP_HOME ?? configStateDir ?? join(homedir(), '.tlsmcp');
  return resolve(chosen);
}

/** Where MCP fronts keep their tool-definition pins, one file per service, inside the state dir. */
export const PINS_DIR = 'mcp-pins';
export const pinsFile = (pinsDir: string, service: string) => join(pinsDir, `${service}.json`);

/** The layout of a state dir. Other processes (CLI and server) rely on these names. */
export function statePaths(stateDir: string) {
  return {
    root: stateDir,
    caDir: join(stateDir, 'ca'),
    caCert: join(stateDir, 'ca', 'ca.pem'),
    caKey: join(stateDir, 'ca', 'ca.key'),
    inventory: join(stateDir, 'inventory.json'),
    revocations: join(stateDir, 'revocations.json'),
    certsDir: join(stateDir, 'certs'),
    certDir: (id: string) => join(stateDir, 'certs', id),
    auditLog: join(stateDir, 'audit.log'),
    runDir: join(stateDir, 'run'),
    pinsDir: join(stateDir, PINS_DIR),
    /** Written by a running supervisor: its pid and admin address, for `status` and `reload`. */
    runtimeFile: join(stateDir, 'run', 'runtime.json'),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;
