/**
 * Which targets `tlsmcp scan` may touch: `scan.allow` and `scan.deny` from the
 * config, each a list of CIDRs (10.0.0.0/8, ::1/128), single addresses, host
 * names (api.example.com) or wildcard names (*.example.com), plus built-in
 * refusals: link-local addresses (169.254.0.0/16, fe80::/10, where cloud
 * metadata services live), the unspecified addresses (0.0.0.0/8, ::) and the
 * cloud metadata names. A built-in refusal is lifted only by a scan.allow
 * network that contains the address (or, for a metadata name, names it).
 *
 * The check runs after name resolution, on every address the name resolves
 * to, and the scan dials the checked address: a name cannot re-resolve
 * elsewhere between the check and the connection. An unspecified address is
 * checked as the loopback it reaches, so a deny rule covering loopback also
 * covers 0.0.0.0 and ::; an IPv4-mapped IPv6 address is checked as its IPv4.
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
  /** Every address the name resolved to, each one checked. */
  addresses?: string[];
  resolveError: string | undefined;
}

export const defaultLookup: LookupFn = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Names of cloud instance metadata services (GCP, AWS, Azure, Alibaba, OpenStack-style). */
export const METADATA_NAMES = ['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal', 'metadata.tencentyun.com'];

interface Rule {
  /** How the refusal names it: "scan.deny[1] 10.0.0.0/8", "built-in link-local 169.254.0.0/16". */
  label: string;
  block?: BlockList;
  name?: string;
}

const BUILTIN_NETWORKS: Array<{ label: string; net: string; prefix: number; type: 'ipv4' | 'ipv6' }> = [
  { label: 'built-in link-local 169.254.0.0/16 (cloud metadata lives here)', net: '169.254.0.0', prefix: 16, type: 'ipv4' },
  { label: 'built-in link-local fe80::/10', net: 'fe80::', prefix: 10, type: 'ipv6' },
  { label: 'built-in unspecified 0.0.0.0/8', net: '0.0.0.0', prefix: 8, type: 'ipv4' },
  { label: 'built-in unspecified ::', net: '::', prefix: 128, type: 'ipv6' },
  { label: 'built-in cloud metadata fd00:ec2::254', net: 'fd00:ec2::254', prefix: 128, type: 'ipv6' },
  { label: 'built-in cloud metadata 100.100.100.200', net: '100.100.100.200', prefix: 32, type: 'ipv4' },
];

function subnetRule(label: string, net: string, prefix: number, type: 'ipv4' | 'ipv6'): Rule {
  const block = new BlockList();
  block.addSubnet(net, prefix, type);
  return { label, block };
}

function compile(entries: string[], key: string): Rule[] {
  return entries.map((raw, i) => {
    const entry = raw.trim().toLowerCase();
    const [net, prefixText] = entry.split('/');
    const family = isIP(net ?? '');
    if (family !== 0 && net) {
      const max = family === 6 ? 128 : 32;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
        throw new TlsmcpError('ERR_CONFIG_INVALID', `${key}[${i}]: "${raw}" has a prefix length outside 0-${max}`, {
          fix: `write a CIDR such as 10.0.0.0/8 or a host name in ${key}`,
        });
      }
      return subnetRule(`${key}[${i}] ${raw.trim()}`, net, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
    if (/^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(entry)) return { label: `${key}[${i}] ${raw.trim()}`, name: entry };
    throw new TlsmcpError('ERR_CONFIG_INVALID', `${key}[${i}]: "${raw}" is neither a CIDR, an address nor a host name`, {
      fix: `write entries such as 10.0.0.0/8, 192.168.1.10, api.example.com or *.example.com in ${key}`,
    });
  });
}

const normalizeName = (host: string) => host.toLowerCase().replace(/\.$/, '');

function nameRule(rules: Rule[], host: string): Rule | undefined {
  const h = normalizeName(host);
  return rules.find((r) => r.name !== undefined && (r.name.startsWith('*.') ? h.endsWith(r.name.slice(1)) : h === r.name));
}

function inBlock(rule: Rule, address: string): boolean {
  if (!rule.block) return false;
  const family = isIP(address);
  return family !== 0 && rule.block.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The addresses a connection to `address` really reaches, for checking: itself
 * (without a zone index), the IPv4 inside an IPv4-mapped IPv6 address, and
 * loopback for an unspecified address (connecting to 0.0.0.0 or :: reaches this host).
 */
export function reachedAddresses(address: string): string[] {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const out = [bare];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped?.[1]) out.push(mapped[1]);
  for (const a of [...out]) {
    if (isIP(a) === 4 && a.startsWith('0.')) out.push('127.0.0.1');
    if (isIP(a) === 6 && (a === '::' || /^(0{1,4}:){7}0{1,4}$/.test(a) || a === '::0')) out.push('::1');
  }
  return [...new Set(out)];
}

/**
 * Resolves `host` and checks every address against the policy.
 * @throws TlsmcpError ERR_SCAN_TARGET_REFUSED naming the rule, when deny or a built-in rule matches or allow does not.
 */
export async function checkScanTarget(host: string, policy: ScanTargetPolicy, lookup: LookupFn = defaultLookup): Promise<CheckedTarget> {
  const deny = compile(policy.deny, 'scan.deny');
  const allow = compile(policy.allow, 'scan.allow');
  const builtin = BUILTIN_NETWORKS.map((b) => subnetRule(b.label, b.net, b.prefix, b.type));
  const refuse = (rule: string, why: string, fix: string, address?: string): never => {
    throw new TlsmcpError('ERR_SCAN_TARGET_REFUSED', `scan target ${host} refused by ${rule}: ${why}`, {
      fix,
      details: { host, rule, ...(address ? { address } : {}) },
    });
  };
  const denyName = nameRule(deny, host);
  if (denyName) refuse(denyName.label, 'its name matches', 'remove the entry from scan.deny in the config, or scan another host');
  const metadata = METADATA_NAMES.includes(normalizeName(host));
  if (metadata && !allow.some((r) => r.name === normalizeName(host))) {
    refuse('built-in cloud metadata names', `${host} is a cloud instance metadata service`, `scan another host; to scan it anyway, add ${normalizeName(host)} to scan.allow`);
  }

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
  const subject = (address: string) => (address === host ? address : `it resolves to ${address}, which`);
  for (const address of addresses) {
    const reached = reachedAddresses(address);
    for (const a of reached) {
      const d = deny.find((r) => inBlock(r, a));
      if (d) {
        const alias = a === address.replace(/%.*$/, '').toLowerCase() ? '' : ` (reaching ${a})`;
        refuse(d.label, `${subject(address)}${alias} is inside it`, 'remove the network from scan.deny in the config, or scan another host', address);
      }
    }
    const b = builtin.find((r) => reached.some((a) => inBlock(r, a)));
    // Only an allow entry that contains the address itself lifts a built-in refusal (not one that
    // contains the loopback an unspecified address reaches).
    const own = address.replace(/%.*$/, '').toLowerCase();
    if (b && !allow.some((r) => inBlock(r, own))) {
      refuse(b.label, `${subject(address)} is refused by default`, `scan another host; to scan it anyway, add a network that contains ${address} to scan.allow`, address);
    }
  }

  if (policy.allow.length > 0 && !nameRule(allow, host)) {
    const outside = addresses.find((address) => !reachedAddresses(address).some((a) => allow.some((r) => inBlock(r, a))));
    if (addresses.length === 0 || outside) {
      refuse(
        'scan.allow',
        addresses.length > 0 ? `${outside} is not inside any scan.allow entry` : 'it is not named in scan.allow',
        `add ${host} or its network to scan.allow in the config`,
        outside,
      );
    }
  }
  return { host, address: addresses[0], addresses, resolveError };
}
