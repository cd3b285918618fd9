/**
 * `tlsmcp run [--config FILE]`: the mTLS sidecar in the foreground. Without a
 * config it runs the embedded demo (a CA, a demo backend, a client cert to
 * curl with). With mcp.transport http or sse it also serves the MCP tools on
 * the remote mTLS listener. SIGHUP reloads; SIGTERM drains live connections and exits 0.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createAcmeManager } from '../../acme/manager.js';
import { loadConfigFile } from '../../config/load.js';
import { startExpiryWarnings } from '../../renew/expiry-warnings.js';
import { runSidecar } from '../../app/run-sidecar.js';
import { compactHeap } from '../../util/heap-compact.js';
import type { CliContext } from '../context.js';

export function registerRunCommand(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run the mTLS proxy workers under a supervisor (foreground; SIGHUP reloads, SIGTERM drains)')
    .action(async (_opts, cmd: Command) =>
      ctx.run(cmd, false, async () => {
        const given = ctx.configFile(cmd);
        // Absolute, so `tlsmcp reload --config FILE` from another directory can tell it is the same file.
        const configFile = given ? resolve(ctx.io.cwd, given) : undefined;
        const config = ctx.loadConfig(cmd, 'embedded');
        const stateDir = ctx.stateDir(cmd, config);
        const logger = ctx.logger(cmd, config);
        for (const n of config.notices) logger.warn({ event: 'config_notice', key: n.path }, `${n.path}: ${n.message}`);
        const env = { HUB_URL: ctx.io.env.HUB_URL, SERVICE_ID: ctx.io.env.SERVICE_ID };
        // server_cert.provider letsencrypt: obtained before the listener starts, renewed in the background.
        const acme = createAcmeManager({ stateDir, logger });
        const served = await acme.prepare(config);
        const reloadConfig = configFile ? () => acme.rewrite(loadConfigFile(configFile, { env })) : undefined;
        const sidecar = await runSidecar({ config: served, configFile, loadConfig: reloadConfig, stateDir, logger, demo: !configFile, signals: true, acmeState: () => acme.state() });
        try {
          if (config.mcp.enabled && config.mcp.transport !== 'stdio') {
            // Only http/sse serve MCP beside the sidecar, so only they load the MCP SDK,
            // the tools, the scanner and the score (bench/PROFILE.md item 1).
            const { startMcpBesideSidecar } = await import('../../app/mcp-beside-sidecar.js');
            await startMcpBesideSidecar({ sidecar, config: served, stateDir, logger, reloadConfig });
          }
        } catch (err) {
          await sidecar.close({ drainMs: 0 });
          throw err;
        }
        const warnings = startExpiryWarnings({ config: served, logger });
        acme.start(served, async (service) => {
          const results = await sidecar.supervisor.reload({ service });
          const failed = results.find((r) => r.error);
          if (failed) throw new Error(`reload of ${service} failed: ${failed.error}`);
        }, (service) => ({
          // tls-alpn-01 renewals: answered by the service's running listener.
          set: (domain, certPem, keyPem) => sidecar.supervisor.acmeChallenge(service, domain, { certPem, keyPem }),
          delete: (domain) => sidecar.supervisor.acmeChallenge(service, domain, undefined),
        }));
        // Started: give back what loading grew and an idle sidecar never uses again.
        setImmediate(compactHeap);
        await sidecar.done;
        acme.close();
        warnings.close();
        logger.info({ event: 'stopped' }, 'stopped');
        return 0;
      }),
    );
}
