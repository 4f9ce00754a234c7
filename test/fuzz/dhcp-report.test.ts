import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDnsName } from "../../src/config/dns-name.js";
import { type DhcpEvent, DhcpReportError, parseDhcpReport } from "../../src/dhcp/lease-event.js";
import {
  createReportServer,
  MAX_ENV_ENTRIES,
  parseReportLine,
  ReportRejection,
  type ReportServer,
} from "../../src/dhcp/report-server.js";
import { isInterfaceName } from "../../src/linux/interface-name.js";
import { silentLogger } from "../../src/log.js";
import { isIpv4Address } from "../../src/route/ipv4.js";
import { BOUND } from "../support/udhcpc-report.js";
import {
  anyText,
  chunk,
  deepJsonText,
  longLine,
  mutatedJson,
  mutatedText,
  parsedOrRejected,
  RUNS,
} from "./arbitraries.js";

/**
 * udhcpc's handler reports come from a DHCP server on the network: every
 * value is hostile until checked. Contract: parseDhcpReport returns a
 * DhcpEvent whose values are safe to hand to `ip` and resolv.conf, or throws
 * DhcpReportError naming a udhcpc variable; parseReportLine returns a
 * well-formed message or throws ReportRejection; the socket answers every
 * connection with at most one line.
 */

const FIELDS = Object.keys(BOUND);
const EVENTS = ["bound", "renew", "deconfig", "leasefail", "nak"];
const REPORT_ERROR_FIELDS = new Set(FIELDS);
/** Variables statenet only publishes, and options asked for that are passed on as given. */
const PUBLISHED = ["broadcast", "search", "ntpsrv", "mtu", "opt58", "opt59", "hostname", "wpad"];
const REQUESTED = ["opt224", "tftp", "sipsrv", "mtu"];

function isHostAddress(value: string): boolean {
  const first = Number(value.split(".")[0]);
  return isIpv4Address(value) && first !== 0 && first !== 127 && first < 224;
}

function expectSafeEvent(event: DhcpEvent): void {
  expect(EVENTS).toContain(event.kind);
  expect(isInterfaceName(event.ifname)).toBe(true);
  if (event.kind !== "bound" && event.kind !== "renew") {
    expect(Object.keys(event).sort()).toEqual(["ifname", "kind"]);
    return;
  }
  expect(isHostAddress(event.address)).toBe(true);
  expect(Number.isInteger(event.prefixLength)).toBe(true);
  expect(event.prefixLength).toBeGreaterThanOrEqual(1);
  expect(event.prefixLength).toBeLessThanOrEqual(32);
  for (const address of [...event.routers, ...event.nameServers]) {
    expect(isHostAddress(address)).toBe(true);
  }
  if (event.domain !== undefined) expect(isDnsName(event.domain)).toBe(true);
  if (event.serverId !== undefined) expect(isHostAddress(event.serverId)).toBe(true);
  if (event.leaseSeconds !== undefined) {
    expect(Number.isInteger(event.leaseSeconds)).toBe(true);
    expect(event.leaseSeconds).toBeGreaterThanOrEqual(1);
    expect(event.leaseSeconds).toBeLessThanOrEqual(0xffff_ffff);
  }
  // What is only published is well-formed too: it ends up in properties and on terminals.
  if (event.broadcast !== undefined) expect(isIpv4Address(event.broadcast)).toBe(true);
  for (const name of event.search ?? []) expect(isDnsName(name)).toBe(true);
  for (const address of event.ntpServers ?? []) expect(isHostAddress(address)).toBe(true);
  if (event.mtu !== undefined) {
    expect(Number.isInteger(event.mtu)).toBe(true);
    expect(event.mtu).toBeGreaterThanOrEqual(68);
    expect(event.mtu).toBeLessThanOrEqual(0xffff);
  }
  for (const seconds of [event.renewalSeconds, event.rebindingSeconds]) {
    if (seconds === undefined) continue;
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThanOrEqual(0xffff_ffff);
  }
  if (event.hostname !== undefined)
    expect(event.hostname).toMatch(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/);
  if (event.wpad !== undefined) expect(event.wpad).toMatch(/^[\x21-\x7e]+$/);
  for (const [variable, value] of Object.entries(event.requested ?? {})) {
    expect(REQUESTED).toContain(variable);
    expect(value).toMatch(variable.startsWith("opt") ? /^[0-9a-fA-F]+$/ : /^[\x20-\x7e]+$/);
  }
  for (const variable of event.ignored ?? [])
    expect([...PUBLISHED, ...REQUESTED]).toContain(variable);
  if (event.subnetAssumed !== undefined) expect(event.subnetAssumed).toBe(true);
}

/** Parses; a rejection must be a DhcpReportError naming a known variable on one short line. */
function checkReport(report: Record<string, string>): DhcpEvent | undefined {
  const event = parsedOrRejected(
    () => parseDhcpReport(report, { requested: REQUESTED }),
    DhcpReportError,
  );
  if (event) {
    expectSafeEvent(event);
    return event;
  }
  try {
    parseDhcpReport(report, { requested: REQUESTED });
  } catch (error) {
    const { field, message } = error as DhcpReportError;
    expect(REPORT_ERROR_FIELDS.has(field)).toBe(true);
    expect(message).not.toMatch(/[\n\r]/);
    expect(message.length).toBeLessThan(200);
  }
  return undefined;
}

/** BOUND with some variables changed, removed, or added. */
const nearBoundReport = fc
  .tuple(
    fc.dictionary(
      fc.constantFrom(...FIELDS),
      fc.oneof(
        mutatedText(Object.values(BOUND)),
        anyText,
        fc.constantFrom(...EVENTS, "", "0", "32", "33", "4294967295", "4294967296"),
      ),
      { maxKeys: 4 },
    ),
    fc.subarray(FIELDS, { maxLength: 3 }),
    fc.dictionary(anyText, anyText, { maxKeys: 3 }),
  )
  .map(([changes, removed, extra]) => {
    const report: Record<string, string> = { ...extra, ...BOUND, ...changes };
    for (const field of removed) delete report[field];
    return report;
  });

const octet = fc.integer({ min: 0, max: 255 });
const hostAddress = fc
  .tuple(fc.integer({ min: 1, max: 223 }), octet, octet, octet)
  .filter(([first]) => first !== 127)
  .map((octets) => octets.join("."));
const netmask = (length: number) =>
  [24, 16, 8, 0].map((shift) => ((0xffff_ffff << (32 - length)) >>> shift) & 0xff).join(".");

describe("parseDhcpReport (fuzzed)", () => {
  it("returns a safe event or a DhcpReportError for arbitrary variables", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), anyText), anyText),
        (report) => {
          checkReport(report);
        },
      ),
      { numRuns: RUNS.many },
    );
  });

  it("keeps a lease whatever the options it only publishes hold", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...PUBLISHED, ...REQUESTED),
          fc.oneof(
            anyText,
            mutatedText([
              "lab.test corp.test",
              "192.0.2.1 192.0.2.2",
              "1400",
              "0000012c",
              "0102ab",
            ]),
          ),
        ),
        (options) => {
          const event = checkReport({ ...BOUND, ...options });
          expect(event).toMatchObject({ kind: "bound", address: BOUND.ip });
        },
      ),
      { numRuns: RUNS.many },
    );
  });

  it("returns a safe event or a DhcpReportError for a mutated real report", () => {
    fc.assert(
      fc.property(nearBoundReport, (report) => {
        checkReport(report);
      }),
      { numRuns: RUNS.many },
    );
  });

  it("reads every well-formed lease exactly", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("bound", "renew"),
        hostAddress,
        fc.integer({ min: 1, max: 32 }),
        fc.array(hostAddress, { maxLength: 3 }),
        fc.integer({ min: 1, max: 0xffff_ffff }),
        (kind, address, length, routers, lease) => {
          const event = parseDhcpReport({
            event: kind,
            interface: "eth0",
            ip: address,
            subnet: netmask(length),
            mask: String(length),
            router: routers.join(" "),
            lease: String(lease),
          });
          expect(event).toEqual({
            kind,
            ifname: "eth0",
            address,
            prefixLength: length,
            routers,
            nameServers: [],
            leaseSeconds: lease,
          });
        },
      ),
      { numRuns: RUNS.some },
    );
  });

  it("answers ~100 KB values in bounded time", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIELDS),
        longLine(["1", "1.", "a", "a-", "a.", " ", "255.", "-"], ["", "192.0.2.", "lab."]),
        (field, value) => {
          checkReport({ ...BOUND, [field]: value });
        },
      ),
      { numRuns: RUNS.few },
    );
  }, 20_000);
});

const VALID_LINE = { token: "t0k3n", event: "bound", env: BOUND };

function expectWellFormed(line: string): void {
  const message = parsedOrRejected(() => parseReportLine(line), ReportRejection);
  if (!message) return;
  expect(typeof message.token).toBe("string");
  expect(message.token.length).toBeGreaterThanOrEqual(1);
  expect(message.token.length).toBeLessThanOrEqual(128);
  expect(message.event).toMatch(/^[a-z]{1,32}$/);
  const entries = Object.entries(message.env);
  expect(entries.length).toBeLessThanOrEqual(MAX_ENV_ENTRIES);
  for (const [, value] of entries) expect(typeof value).toBe("string");
  // What the server does with it next.
  checkReport({ ...message.env, event: message.event });
}

describe("parseReportLine (fuzzed)", () => {
  it("returns a well-formed message or a ReportRejection for arbitrary text", () => {
    fc.assert(fc.property(anyText, expectWellFormed), { numRuns: RUNS.many });
  });

  it("returns a well-formed message or a ReportRejection for mutated report lines", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          mutatedText([JSON.stringify(VALID_LINE)]),
          mutatedJson([VALID_LINE]).map((value) => JSON.stringify(value) ?? "undefined"),
        ),
        expectWellFormed,
      ),
      { numRuns: RUNS.many },
    );
  });

  it("answers ~100 KB lines in bounded time", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          longLine(["[", "{", '"a', "\\u0000", '{"a":'], ['{"token":"t","event":"', '{"env":']),
          deepJsonText([
            ["", ""],
            ['{"token":"t","event":"bound","env":', "}"],
          ]),
        ),
        expectWellFormed,
      ),
      { numRuns: RUNS.few },
    );
  }, 20_000);
});

describe("report socket framing (fuzzed)", () => {
  const MAX_LINE_BYTES = 2_048;
  const TOKEN = "fuzz-token";
  let dir: string;
  let server: ReportServer;
  const reports: Array<Record<string, string>> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-fuzz-report-"));
    server = await createReportServer({
      dir: join(dir, "sock"),
      logger: silentLogger(),
      maxLineBytes: MAX_LINE_BYTES,
    });
    server.register(TOKEN, async (report) => {
      reports.push(report);
    });
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes `parts` one write at a time, half-closes, and collects the reply until the server closes. */
  function converse(parts: readonly Buffer[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(server.path);
      let reply = "";
      socket.setEncoding("utf8");
      socket.on("data", (data) => {
        reply += data;
      });
      socket.on("error", (error: NodeJS.ErrnoException) =>
        error.code === "EPIPE" || error.code === "ECONNRESET" ? resolve(reply) : reject(error),
      );
      socket.on("close", () => resolve(reply));
      socket.on("connect", async () => {
        for (const part of parts) {
          if (socket.destroyed) return;
          await new Promise((written) => socket.write(part, written));
        }
        if (!socket.destroyed) socket.end();
      });
    });
  }

  const firstLine = fc.oneof(
    fc.constant(JSON.stringify({ ...VALID_LINE, token: TOKEN })),
    mutatedText([JSON.stringify({ ...VALID_LINE, token: TOKEN })]),
    mutatedJson([{ ...VALID_LINE, token: TOKEN }]).map((value) => JSON.stringify(value) ?? ""),
    anyText,
    fc.constant("x".repeat(MAX_LINE_BYTES + 1)),
  );

  it("answers each connection with at most one line, and only a whole valid line reaches the handler", async () => {
    await fc.assert(
      fc.asyncProperty(
        firstLine,
        fc.boolean(),
        fc.oneof(fc.constant(""), chunk),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (line, terminated, after, cuts) => {
          const bytes = Buffer.from(`${line}${terminated ? "\n" : ""}${after}`, "utf8");
          // Cut anywhere, also inside a multi-byte character.
          const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const parts = [0, ...points]
            .map((start, index) => bytes.subarray(start, points[index] ?? bytes.length))
            .filter((part) => part.length > 0);
          reports.length = 0;
          const reply = await converse(parts);
          // What the server reads: the bytes before the first newline, if it comes within the limit.
          const payload = bytes.toString("utf8");
          const newline = payload.indexOf("\n");
          const serverLine = newline === -1 ? undefined : payload.slice(0, newline);
          const whole = serverLine !== undefined && Buffer.byteLength(serverLine) <= MAX_LINE_BYTES;
          let expected: Record<string, string> | undefined;
          try {
            const message = whole ? parseReportLine(serverLine) : undefined;
            if (message?.token === TOKEN) expected = { ...message.env, event: message.event };
          } catch {
            expected = undefined;
          }
          expect(reports).toEqual(expected ? [expected] : []);
          // Bytes past the line (or the limit) cut the connection, possibly before the reply;
          // a peer that hangs up before its newline is past answering.
          const cut = !whole || newline + 1 < payload.length;
          if (reply === "" && cut) return;
          expect(reply).toMatch(/^(ok|error [^\n]*)\n$/);
          expect(reply === "ok\n").toBe(expected !== undefined);
        },
      ),
      { numRuns: RUNS.few * 2 },
    );
  }, 30_000);
});
