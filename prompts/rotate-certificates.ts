/**
 * `tlsmcp_rotate_certificates`: the steps to rotate a service's certificates
 * without an outage. Issue the replacement while the old one is still valid
 * (the overlap), deploy and verify it is in use, then retire the old one.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpServerDeps } from '../src/mcp/deps.js';
import { certificateArgument, formatSteps, promptResult, requireCertificate, requireService, serviceArgument, serviceSnapshot } from '../src/mcp/prompt-kit.js';

export function registerRotateCertificatesPrompt(server: McpServer, deps: McpServerDeps): void {
  server.registerPrompt(
    'tlsmcp_rotate_certificates',
    {
      title: 'Rotate the certificates of a service',
      description:
        "Rotate a service's certificates with overlap: issue replacements while the old ones are still valid, verify the new ones are in use, then retire the old ones. " +
        'Names the tlsmcp tools to call in order.',
      argsSchema: {
        service: serviceArgument(deps, 'the service whose certificates to rotate'),
        certificate: certificateArgument(deps, 'rotate only this certificate id; without it, every valid or expiring certificate of the service'),
      },
    },
    async ({ service, certificate }, extra) => {
      await requireService(deps, service);
      await requireCertificate(deps, service, certificate);
      const snap = await serviceSnapshot(deps, service, extra);
      const scope = certificate ? `certificate ${certificate}` : `every valid or expiring certificate of ${service}`;
      const steps = formatSteps([
        { call: 'tlsmcp_cert_status', args: { service }, why: 'which certificates are in scope, their days left and the recommended action' },
        {
          call: 'tlsmcp_cert_issue',
          args: { service, type: '<same type>', cn: '<same CN>' },
          why: 'one replacement per certificate in scope, with the same CN and SANs (pass a CSR to keep the key with its holder); the old certificate stays valid meanwhile: that is the overlap',
        },
        { call: 'tlsmcp_proxy_reload', args: { service }, why: 'for a server certificate: the listener presents the new one to new handshakes, live connections stay up' },
        {
          call: 'tlsmcp_scan',
          args: { target: snap.listen ?? '<listen address from tlsmcp_proxy_status>' },
          why: 'verify the listener presents the new certificate (serial, expiry) and its grade did not drop',
        },
        {
          call: 'tlsmcp://audit/' + encodeURIComponent(service),
          why: 'verify the callers connect with the new serials; wait until no connection uses an old serial',
        },
        {
          call: 'tlsmcp_cert_revoke',
          args: { id: '<old id>', reason: 'superseded' },
          why: 'retire each old certificate only once nothing uses it (the user may be asked to confirm); live connections still using it are cut',
        },
        { call: 'tlsmcp_cert_status', args: { service }, why: 'final check: the new certificates are valid, the old ones revoked' },
      ]);
      const text =
        `Rotate the certificates of service "${service}" managed by tlsmcp. Scope: ${scope}.\n\n` +
        `Certificates of ${service} now:\n${snap.text}\n\n` +
        `Call these tlsmcp tools in order:\n${steps}\n\n` +
        'Then report each rotation: old id and serial, new id and serial, new expiry, and whether the old one was retired or is still in use (and by whom).';
      return promptResult(`Rotate the certificates of ${service}`, text);
    },
  );
}
