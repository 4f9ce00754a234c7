import { isIPv4, isIPv6 } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseIpJson } from "../../src/linux/ip.js";
import { KernelDumpError, type LinkState, parseLinkStates } from "../../src/linux/link-state.js";
import { isManagedTable } from "../../src/route/constants.js";
import { isIpv4Address } from "../../src/route/ipv4.js";
import { foreignDefaultRoutes, managedEntriesFromKernel } from "../../src/route/kernel-entries.js";
import { parseIpRoutes, parseIpRules } from "../../src/route/kernel-json.js";
import type { RouteEntry } from "../../src/route/types.js";
import { CONNECTED_ADDRS, CONNECTED_LINKS } from "../support/ip-dumps.js";
import {
  anyText,
  deepJsonText,
  longLine,
  mutatedJson,
  mutatedText,
  oddJsonValue,
  parsedOrRejected,
  RUNS,
} from "./arbitraries.js";

/**
 * `ip -j` output is the kernel's word, printed by whatever `ip` the device
 * has (BusyBox's prints usage text instead). Contract: a dump that is not a
 * JSON array is a KernelDumpError; odd entries inside one are skipped; what
 * comes out holds only well-formed values (addresses of their family,
 * prefix lengths in range, statenet's tables only).
 */

const LINKS: unknown[] = JSON.parse(CONNECTED_LINKS);
const ADDRS: unknown[] = JSON.parse(CONNECTED_ADDRS);

// As `ip -4 -j rule show` and `ip -4 -j route show table all` print them with
// statenet's table 100 for "va" and someone else's default route on eth1.
const RULES: unknown[] = [
  { priority: 0, src: "all", table: "local" },
  { priority: 100, src: "203.0.113.10", table: "100", protocol: "222" },
  { priority: 100, src: "203.0.113.0", srclen: 24, table: "101", protocol: "222" },
  { priority: 32766, src: "all", table: "main" },
];
const ROUTES: unknown[] = [
  { dst: "default", gateway: "203.0.113.1", dev: "va", table: "100", protocol: "222", flags: [] },
  {
    dst: "203.0.113.0/24",
    dev: "va",
    table: "100",
    protocol: "222",
    scope: "link",
    prefsrc: "203.0.113.10",
    flags: [],
  },
  { dst: "default", gateway: "203.0.113.1", dev: "va", protocol: "222", metric: 10, flags: [] },
  { dst: "default", gateway: "198.51.100.1", dev: "eth1", protocol: "static", flags: [] },
  {
    type: "local",
    dst: "203.0.113.10",
    dev: "va",
    table: "local",
    protocol: "kernel",
    scope: "host",
    prefsrc: "203.0.113.10",
    flags: [],
  },
];

/** A dump: the real one, a mutated one, a list of mutated or odd entries, or no list at all. */
const dumpOf = (sample: unknown[]) =>
  fc.oneof(
    fc.constant(sample),
    mutatedJson([sample]),
    fc.array(fc.oneof(mutatedJson(sample), fc.constantFrom(...sample), oddJsonValue), {
      maxLength: 8,
    }),
    oddJsonValue,
  );

const ADDRESS_ENTRIES = ADDRS.flatMap((link) => (link as { addr_info: unknown[] }).addr_info);

/** The real address dump with every link's addresses replaced by mutated real ones. */
const oddAddresses = fc
  .array(mutatedJson(ADDRESS_ENTRIES), { minLength: 1, maxLength: 3 })
  .map((entries) => ADDRS.map((link) => ({ ...(link as object), addr_info: entries })));

function expectSaneLink(ifname: string, link: LinkState): void {
  expect(link.ifname).toBe(ifname);
  expect(ifname).not.toBe("");
  expect(ifname).not.toBe("lo");
  expect(Number.isSafeInteger(link.ifindex) && link.ifindex > 0).toBe(true);
  expect(typeof link.adminUp).toBe("boolean");
  expect(typeof link.lowerUp).toBe("boolean");
  if (link.macAddress !== null) expect(link.macAddress).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
  expect(link.hwPath).toMatch(/^\/devices\/./);
  for (const { family, address, prefixLength } of link.addresses) {
    expect(family === "inet" ? isIPv4(address) : family === "inet6" && isIPv6(address)).toBe(true);
    expect(Number.isInteger(prefixLength)).toBe(true);
    expect(prefixLength).toBeGreaterThanOrEqual(0);
    expect(prefixLength).toBeLessThanOrEqual(family === "inet" ? 32 : 128);
  }
}

const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

function isPrefix(value: string): boolean {
  const [address = "", length] = value.split("/");
  return isIpv4Address(address) && /^\d{1,2}$/.test(length ?? "") && Number(length) <= 32;
}

function expectSaneEntry(entry: RouteEntry): void {
  if (entry.kind === "rule") {
    expect(isManagedTable(entry.table)).toBe(true);
    expect(isIpv4Address(entry.from) || isPrefix(entry.from)).toBe(true);
    expect(isCount(entry.priority)).toBe(true);
    return;
  }
  expect(entry.table === "main" || isManagedTable(entry.table)).toBe(true);
  expect(typeof entry.ifname).toBe("string");
  expect(entry.ifname).not.toBe("");
  expect(isCount(entry.metric)).toBe(true);
  if (entry.kind === "default_route") {
    if (entry.gateway !== undefined) expect(isIpv4Address(entry.gateway)).toBe(true);
  } else {
    expect(isPrefix(entry.network)).toBe(true);
    if (entry.source !== undefined) expect(isIpv4Address(entry.source)).toBe(true);
  }
}

describe("parseIpJson (fuzzed)", () => {
  it("returns parsed JSON or throws KernelDumpError for any output", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, mutatedText([CONNECTED_LINKS, CONNECTED_ADDRS])), (stdout) => {
        const value = parsedOrRejected(
          () => parseIpJson(["link", "show"], stdout),
          KernelDumpError,
        );
        if (stdout.trim() === "") expect(value).toEqual([]);
      }),
      { numRuns: RUNS.many },
    );
  });

  it("reads JSON nested 100 000 deep, or says it is not JSON", () => {
    fc.assert(
      fc.property(fc.oneof(deepJsonText(), deepJsonText([["", "]"]])), (stdout) => {
        parsedOrRejected(() => parseIpJson(["link", "show"], stdout), KernelDumpError);
      }),
      { numRuns: RUNS.few },
    );
  }, 20_000);

  it("names the command and stays on one short line when ip prints usage text", () => {
    const usage = "BusyBox v1.36.1 multi-call binary.\n\nUsage: ip [OPTIONS] address|route|link";
    expect(() => parseIpJson(["-4", "rule", "show"], usage)).toThrowError(
      /^ip -4 rule show: output is not JSON: "BusyBox v1\.36\.1[^\n]*$/,
    );
  });
});

describe("parseLinkStates (fuzzed)", () => {
  it("returns sane link states or throws KernelDumpError for any dumps", () => {
    fc.assert(
      fc.property(dumpOf(LINKS), fc.oneof(dumpOf(ADDRS), oddAddresses), (links, addresses) => {
        const states = parsedOrRejected(() => parseLinkStates(links, addresses), KernelDumpError);
        if (!states) {
          expect(Array.isArray(links) && Array.isArray(addresses)).toBe(false);
          return;
        }
        for (const [ifname, link] of states) expectSaneLink(ifname, link);
      }),
      { numRuns: RUNS.many },
    );
  });
});

describe("kernel route and rule dumps (fuzzed)", () => {
  it("reads only well-formed statenet entries, or throws KernelDumpError, for any dumps", () => {
    fc.assert(
      fc.property(dumpOf(RULES), dumpOf(ROUTES), (ruleDump, routeDump) => {
        const read = parsedOrRejected(() => {
          const routes = parseIpRoutes(routeDump);
          return {
            owned: managedEntriesFromKernel(parseIpRules(ruleDump), routes),
            foreign: foreignDefaultRoutes(routes),
          };
        }, KernelDumpError);
        if (!read) {
          expect(Array.isArray(ruleDump) && Array.isArray(routeDump)).toBe(false);
          return;
        }
        for (const entry of [...read.owned, ...read.foreign]) expectSaneEntry(entry);
        for (const entry of read.foreign) expect(entry.table).toBe("main");
      }),
      { numRuns: RUNS.many },
    );
  });

  it("keeps every entry of an unchanged dump", () => {
    const routes = parseIpRoutes(ROUTES);
    expect(parseIpRules(RULES)).toEqual(RULES);
    expect(routes).toEqual(ROUTES);
    expect(managedEntriesFromKernel(parseIpRules(RULES), routes)).toHaveLength(5);
    expect(foreignDefaultRoutes(routes)).toEqual([
      { kind: "default_route", ifname: "eth1", gateway: "198.51.100.1", metric: 0, table: "main" },
    ]);
  });

  it("answers ~100 KB field values in bounded time", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("src", "dst", "gateway", "prefsrc", "table", "dev"),
        longLine(["1", "1.", "1/", "/", "9"], ["", "203.0.113."]),
        (field, value) => {
          const route = { ...(ROUTES[0] as object), [field]: value };
          const rule = { ...(RULES[1] as object), [field]: value };
          for (const entry of managedEntriesFromKernel(
            parseIpRules([rule]),
            parseIpRoutes([route]),
          )) {
            expectSaneEntry(entry);
          }
        },
      ),
      { numRuns: RUNS.few },
    );
  }, 20_000);
});
