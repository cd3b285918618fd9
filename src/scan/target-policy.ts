/**
 * Which targets `tlsmcp scan` may touch: `scan.allow` and `scan.deny` from the
 * config, each a list of CIDRs (10.0.0.0/8, ::1/128), single addresses, host
 * names (api.example.com) or wildcard names (*.example.com). Deny wins; a
 * non-empty allow list admits only what it names. The host is resolved once and
 * the scan dials the checked address, so a name cannot re-resolve elsewhere
 * between the check and the connection.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import { TlsmcpError } from '../errors.js';

export interface ScanTargetPolicy {
  allow: string[];
  deny: string[];
}

export type LookupFn = (host: string) => Promise<string[]>;

export interface CheckedTarget {
  host: string;
  /** The address to dial; undefined when the name does not resolve. */
  address: string | undefined;
  resolveError: string | undefined;
}

export const defaultLookup: LookupFn = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

interface CompiledList {
  blocks: BlockList;
  names: string[];
  hasBlocks: boolean;
}

function compile(entries: string[], key: string): CompiledList {
  const blocks = new BlockList();
  const names: string[] = [];
  let hasBlocks = false;
  entries.forEach((raw, i) => {
    const entry = raw.trim().toLowerCase();
    const [net, prefixText] = entry.split('/');
    const family = isIP(net ?? '');
    if (family !== 0 && net) {
      const type = family === 6 ? 'ipv6' : 'ipv4';
      const max = family === 6 ? 128 : 32;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
        throw new TlsmcpError('ERR_CONFIG_INVALID', `${key}[${i}]: "${raw}" has a prefix length outside 0-${max}`, {
          fix: `write a CIDR such as 10.0.0.0/8 or a host name in ${key}`,
        });
      }
      blocks.addSubnet(net, prefix, type);
      hasBlocks = true;
    } else if (/^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(entry)) {
      names.push(entry);
    } else {
      throw new TlsmcpError('ERR_CONFIG_INVALID', `${key}[${i}]: "${raw}" is neither a CIDR, an address nor a host name`, {
        fix: `write entries such as 10.0.0.0/8, 192.168.1.10, api.example.com or *.example.com in ${key}`,
      });
    }
  });
  return { blocks, names, hasBlocks };
}

function nameMatches(patterns: string[], host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) : h === p));
}

function addressIn(list: CompiledList, address: string): boolean {
  if (!list.hasBlocks) return false;
  const family = isIP(address);
  if (family === 0) return false;
  return list.blocks.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Resolves `host` and checks it against the policy.
 * @throws TlsmcpError ERR_SCAN_TARGET_REFUSED when deny matches or allow does not.
 */
export async function checkScanTarget(host: string, policy: ScanTargetPolicy, lookup: LookupFn = defaultLookup): Promise<CheckedTarget> {
  const deny = compile(policy.deny, 'scan.deny');
  const allow = compile(policy.allow, 'scan.allow');
  const refuse = (why: string, fix: string): never => {
    throw new TlsmcpError('ERR_SCAN_TARGET_REFUSED', `scan target ${host} refused: ${why}`, { fix, details: { host } });
  };
  if (nameMatches(deny.names, host)) refuse('its name matches scan.deny', 'remove the entry from scan.deny in the config, or scan another host');

  let addresses: string[] = [];
  let resolveError: string | undefined;
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await lookup(host);
    } catch (err) {
      resolveError = `cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    }
  }
  const denied = addresses.find((a) => addressIn(deny, a));
  if (denied) refuse(`it resolves to ${denied}, inside scan.deny`, 'remove the network from scan.deny in the config, or scan another host');

  const anyAllow = policy.allow.length > 0;
  if (anyAllow && !nameMatches(allow.names, host)) {
    const allInside = addresses.length > 0 && addresses.every((a) => addressIn(allow, a));
    if (!allInside) {
      refuse(
        addresses.length > 0 ? `${addresses.join(', ')} is not inside scan.allow` : 'it is not named in scan.allow',
        `add ${host} or its network to scan.allow in the config`,
      );
    }
  }
  return { host, address: addresses[0], resolveError };
}
