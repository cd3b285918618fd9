/**
 * One example per command, shown at the end of its --help (commander's
 * addHelpText). Kept in one table so every command, including ones added later,
 * is checked for an example by test/integration/completion-help.test.ts.
 */
import type { Command } from 'commander';

const EXAMPLES: Record<string, string> = {
  run: 'tlsmcp run --config /etc/tlsmcp/tlsmcp.yaml',
  init: 'tlsmcp init --key-type ecdsa-p384',
  cert: 'tlsmcp cert issue --type client --service api --cn my-agent --ttl 24h --out ./agent',
  'cert issue': 'tlsmcp cert issue --type client --service api --cn my-agent --ttl 24h --out ./agent',
  'cert list': 'tlsmcp cert list --service api --status expiring',
  'cert info': 'tlsmcp cert info ./agent/cert.pem',
  'cert revoke': 'tlsmcp cert revoke 3f2a9c --reason keyCompromise',
  'cert renew': 'tlsmcp cert renew 3f2a9c --out ./agent',
  ca: 'tlsmcp ca crl --out ca.crl',
  'ca crl': 'tlsmcp ca crl --out ca.crl',
  status: 'tlsmcp status --json',
  score: 'tlsmcp score --no-scan',
  scan: 'tlsmcp scan 127.0.0.1:8443 --sni localhost',
  reload: 'tlsmcp reload --service api',
  mcp: 'tlsmcp mcp serve --transport http --address 127.0.0.1:8444',
  'mcp serve': 'tlsmcp mcp serve --transport http --address 127.0.0.1:8444',
  'mcp pins': 'tlsmcp mcp pins list --service files',
  'mcp pins list': 'tlsmcp mcp pins list --service files --json',
  'mcp pins approve': 'tlsmcp mcp pins approve files --tool read_file',
  'mcp pins reset': 'tlsmcp mcp pins reset files',
  completion: 'tlsmcp completion bash > /etc/bash_completion.d/tlsmcp',
  config: 'tlsmcp config check --config /etc/tlsmcp/tlsmcp.yaml --json',
  'config check': 'tlsmcp config check --config /etc/tlsmcp/tlsmcp.yaml --json',
  renew: 'tlsmcp renew --watch --interval 1m',
  hub: 'tlsmcp hub serve --state /var/lib/tlsmcp-hub --listen 0.0.0.0:7443',
  'hub init': 'tlsmcp hub init --state /var/lib/tlsmcp-hub',
  'hub serve': 'tlsmcp hub serve --state /var/lib/tlsmcp-hub --listen 0.0.0.0:7443',
  'hub token': 'tlsmcp hub token create --state /var/lib/tlsmcp-hub --service-id api --ttl 1h',
  'hub token create': 'tlsmcp hub token create --state /var/lib/tlsmcp-hub --service-id api --ttl 1h --json',
  connect: 'tlsmcp connect https://127.0.0.1:8444/mcp --cert agent/cert.pem --key agent/key.pem --ca agent/ca.pem',
};

/** Adds "Example:" to the help of every command in the table. */
export function addHelpExamples(program: Command): void {
  const walk = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      const at = [...path, sub.name()];
      const example = EXAMPLES[at.join(' ')];
      if (example) sub.addHelpText('after', `\nExample:\n  $ ${example}`);
      walk(sub, at);
    }
  };
  walk(program, []);
}
