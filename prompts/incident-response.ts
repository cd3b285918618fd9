/**
 * `tlsmcp_incident_response`: the steps for a compromised service. List its
 * certificates and live connections, revoke what is compromised (which cuts
 * those connections), rescan the listener, verify nothing revoked still
 * works, and report. The message carries the service's current inventory so
 * the model starts from facts.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { certificateArgument, formatSteps, promptResult, requireCertificate, requireService, serviceArgument, serviceSnapshot } from '../src/mcp/prompt-kit.js';

export function registerIncidentResponsePrompt(server: McpServer, deps: McpServerDeps): void {
  server.registerPrompt(
    'tlsmcp_incident_response',
    {
      title: 'Incident response for a service',
      description:
        'A service (or one of its certificates) is compromised: list its certificates and live connections, revoke, rescan, verify, and report. ' +
        'Names the tlsmcp tools to call in order.',
      argsSchema: {
        service: serviceArgument(deps, 'the compromised service (from the config or the CA inventory)'),
        certificate: certificateArgument(deps, 'one certificate id known to be compromised; without it, every valid certificate of the service is in scope'),
      },
    },
    async ({ service, certificate }, extra) => {
      await requireService(deps, service);
      await requireCertificate(deps, service, certificate);
      const snap = await serviceSnapshot(deps, service, extra);
      const scope = certificate ? `certificate ${certificate}` : `every certificate of ${service} that is not already revoked`;
      const steps = formatSteps([
        { call: 'tlsmcp_cert_list', args: { service }, why: 'every certificate of the service with status and serial; confirm which are compromised' },
        {
          call: 'tlsmcp_proxy_status',
          args: { service },
          why: 'the live connections (active count) and recent rejections; read tlsmcp://audit/' + encodeURIComponent(service) + ' to see which peers (CN, serial) are connected',
        },
        {
          call: 'tlsmcp_cert_revoke',
          args: { id: certificate ?? '<id>', reason: 'keyCompromise' },
          why: `once per certificate in scope (${scope}); each call refuses new handshakes and cuts the live connections using it, and says how many. The user may be asked to confirm.`,
        },
        {
          call: 'tlsmcp_scan',
          args: { target: snap.listen ?? '<listen address from tlsmcp_proxy_status>' },
          why: "rescan the service's listener: it still requires client certificates and its own certificate and grade are sound",
        },
        {
          call: 'tlsmcp_cert_status',
          args: { service },
          why: 'verify: the revoked certificates show revoked, nothing else is expired; then tlsmcp_proxy_status again: no active connection from a revoked serial',
        },
        {
          call: 'tlsmcp://audit/' + encodeURIComponent(service),
          why: 'read the audit trail: the revocation events and any handshake refused since (who tried to use a revoked certificate)',
        },
      ]);
      const text =
        `Incident response for service "${service}" managed by tlsmcp. Scope: ${scope}.\n\n` +
        `Certificates of ${service} now:\n${snap.text}\n\n` +
        `Call these tlsmcp tools in order:\n${steps}\n\n` +
        'Then report: what was revoked (id, CN, serial), how many connections were cut, the scan grade, anything still open, ' +
        'and which callers need a new certificate (tlsmcp_cert_issue). Do not revoke a certificate outside the scope without asking.';
      return promptResult(`Incident response for ${service}`, text);
    },
  );
}
