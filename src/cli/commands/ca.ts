/** `tlsmcp ca`: operations on the CA itself: `crl` writes the signed revocation list. */
import type { Command } from 'commander';
import { writeFileAtomic } from '../../state/atomic-write.js';
import type { CliContext } from '../context.js';
import { printLine } from '../output.js';
import { resolvePath, runWithCa } from './cert/shared.js';

export function registerCaCommand(program: Command, ctx: CliContext): void {
  const ca = program.command('ca').description('certificate authority operations (crl)');
  ca.command('crl')
    .description('print (or write) a CRL, signed by the CA, of every revoked serial (PEM)')
    .option('--out <file>', 'write the CRL to this file instead of stdout')
    .action(async (opts: { out?: string }, cmd: Command) =>
      runWithCa(ctx, cmd, false, async ({ ca: authority }) => {
        const pem = await authority.crlPem();
        if (!opts.out) {
          printLine(ctx.io, pem.trimEnd());
          return;
        }
        const file = resolvePath(ctx, opts.out);
        writeFileAtomic(file, pem, { mode: 0o644 });
        printLine(ctx.io, `wrote a CRL of ${(await authority.revocations()).length} revoked serial(s) to ${file}`);
      }),
    );
}
