import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { LlmteamError } from '../errors.js';

/** Options of an {@link OutboundGuard}. */
export interface OutboundGuardOptions {
  /**
   * Addresses or CIDR ranges that may be reached although they are loopback, private or
   * link-local (e.g. `["127.0.0.1"]` in tests, `["10.20.0.0/16"]` for an internal ERP).
   * @default []
   */
  allow?: string[];
}

type Range = { v6: boolean; bits: bigint; prefix: number };

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBig(ip: string): bigint {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted quad (::ffff:127.0.0.1) becomes two hex groups.
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const v4 = v4ToBig(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
}

function parseRange(text: string): Range {
  const [addr, len] = text.split('/') as [string, string | undefined];
  const family = isIP(addr);
  if (!family) {
    throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `"${text}" is not an IP address or CIDR range`, {
      details: { field: 'outbound.allow' },
    });
  }
  const v6 = family === 6;
  return {
    v6,
    bits: v6 ? v6ToBig(addr) : v4ToBig(addr),
    prefix: len === undefined ? (v6 ? 128 : 32) : Number(len),
  };
}

function inRange(v6: boolean, bits: bigint, range: Range): boolean {
  if (range.v6 !== v6) return false;
  const width = v6 ? 128n : 32n;
  const shift = width - BigInt(range.prefix);
  return bits >> shift === range.bits >> shift;
}

const BLOCKED_V4 = [
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (carrier-grade NAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
].map(([r, why]) => [parseRange(r!), why!] as const);

const BLOCKED_V6 = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'unique local (private)'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
].map(([r, why]) => [parseRange(r!), why!] as const);

const MAPPED = parseRange('::ffff:0:0/96');
const NAT64 = parseRange('64:ff9b::/96');
const COMPAT = parseRange('::/96');

/**
 * Why an address may not be reached (`"loopback"`, `"private"`, ...), or undefined when it
 * may. IPv4-mapped, IPv4-compatible and NAT64 IPv6 addresses are judged by their IPv4 part.
 */
export function blockedReason(address: string): string | undefined {
  const family = isIP(address.replace(/^\[|\]$/g, ''));
  const ip = address.replace(/^\[|\]$/g, '');
  if (family === 4) {
    const bits = v4ToBig(ip);
    return BLOCKED_V4.find(([r]) => inRange(false, bits, r))?.[1];
  }
  if (family === 6) {
    const bits = v6ToBig(ip);
    for (const wrapper of [MAPPED, NAT64, COMPAT]) {
      if (inRange(true, bits, wrapper) && (wrapper !== COMPAT || bits > 1n)) {
        const v4 = bits & 0xffffffffn;
        const dotted = [24n, 16n, 8n, 0n].map((s) => String((v4 >> s) & 0xffn)).join('.');
        const inner = blockedReason(dotted);
        return inner ? `${inner}, IPv4 inside IPv6` : undefined;
      }
    }
    return BLOCKED_V6.find(([r]) => inRange(true, bits, r))?.[1];
  }
  return 'not an IP address';
}

/**
 * Outbound safety of actions: every address a connection is about to use is checked at
 * connect time, after DNS resolution, so a name that resolves (or re-resolves) to an
 * internal address is refused. IP literals in any form (decimal `2130706433`, octal
 * `0177.0.0.1`, hex, IPv4-mapped IPv6) are normalised by the URL parser and checked too.
 */
export class OutboundGuard {
  private readonly allowed: Range[];

  constructor(options: OutboundGuardOptions = {}) {
    this.allowed = (options.allow ?? []).map(parseRange);
  }

  private allowedAddress(address: string): boolean {
    const ip = address.replace(/^\[|\]$/g, '');
    const family = isIP(ip);
    if (!family) return false;
    const v6 = family === 6;
    const bits = v6 ? v6ToBig(ip) : v4ToBig(ip);
    return this.allowed.some((r) => inRange(v6, bits, r));
  }

  /** Throws `LLMT_E_ADDRESS_NOT_ALLOWED` when `address` is internal and not allowlisted. */
  check(address: string, context: { action: string; host: string }): void {
    if (this.allowedAddress(address)) return;
    const reason = blockedReason(address);
    if (!reason) return;
    throw new LlmteamError(
      'LLMT_E_ADDRESS_NOT_ALLOWED',
      `action "${context.action}": ${context.host} resolves to ${address} (${reason}), which actions may not reach; allow it explicitly with the engine's outbound.allow option if it is meant to be reached`,
      { retryable: false, details: { action: context.action, field: 'url', address, reason } },
    );
  }

  /** A `lookup` for `net.connect` that refuses internal addresses at connect time. */
  lookupFor(context: { action: string; host: string }): typeof dnsLookup {
    const lookup = (hostname: string, options: unknown, callback: unknown) => {
      const cb = (typeof options === 'function' ? options : callback) as (
        err: NodeJS.ErrnoException | null,
        address: string | LookupAddress[],
        family?: number,
      ) => void;
      const opts = (typeof options === 'object' && options ? options : {}) as { all?: boolean };
      dnsLookup(hostname, { all: true }, (err, addresses) => {
        if (err) return cb(err, opts.all ? [] : '', 0);
        try {
          for (const a of addresses) this.check(a.address, context);
        } catch (refusal) {
          return cb(refusal as NodeJS.ErrnoException, opts.all ? [] : '', 0);
        }
        if (opts.all) return cb(null, addresses);
        cb(null, addresses[0]!.address, addresses[0]!.family);
      });
    };
    return lookup as unknown as typeof dnsLookup;
  }
}
