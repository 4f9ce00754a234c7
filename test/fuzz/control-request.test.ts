import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CONTROL_COMMANDS,
  type ControlRequest,
  ControlRequestError,
  parseControlRequest,
  requestId,
} from "../../src/control/protocol.js";
import { createControlServer } from "../../src/control/server.js";
import { isInterfaceName } from "../../src/linux/interface-name.js";
import type { PrivateSocket } from "../../src/linux/private-socket.js";
import { silentLogger } from "../../src/log.js";
import { waitUntil } from "../support/wait.js";
import {
  anyText,
  deepJsonText,
  longLine,
  mutatedJson,
  mutatedText,
  parsedOrRejected,
  RUNS,
} from "./arbitraries.js";

/**
 * Control socket requests come from any process of the daemon's user.
 * Contract: parseControlRequest returns a request whose fields have the
 * documented types (an interface name that Linux accepts, an id that JSON
 * can carry back) or throws ControlRequestError; requestId never throws; the
 * server answers every non-empty line with one JSON reply line, in order.
 */

const SAMPLES: unknown[] = [
  { id: 1, command: "info" },
  { command: "info", redact: false },
  { id: "a", command: "get", key: ["interface", "eth0", "connection"] },
  { command: "get", key: ["connection"], withTimestamp: true },
  { command: "subscribe", prefix: ["interface"] },
  {
    id: 7,
    command: "configure",
    ifname: "eth0",
    config: { type: "ethernet", ipv4: { method: "dhcp" } },
  },
  { command: "deconfigure", ifname: "eth0" },
  { id: 2, command: "reset", ifname: "wlan0" },
  { command: "force_reset", ifname: "wwan0" },
  { id: 3, command: "reload" },
  { id: 4, command: "wifi_scan", ifname: "wlan0" },
];

const requestLine = fc.oneof(
  anyText,
  mutatedText(SAMPLES.map((sample) => JSON.stringify(sample))),
  mutatedJson(SAMPLES).map((value) => JSON.stringify(value) ?? ""),
  fc.constantFrom(
    '{"id":1e400,"command":"info"}',
    '{"id":-0,"command":"info"}',
    '{"command":"reset","ifname":"../../etc"}',
  ),
);

const isId = (id: unknown) =>
  typeof id === "string" || (typeof id === "number" && Number.isFinite(id));

function expectSane(request: ControlRequest): void {
  expect(CONTROL_COMMANDS).toContain(request.command);
  if (request.id !== undefined) expect(isId(request.id)).toBe(true);
  if ("ifname" in request) expect(isInterfaceName(request.ifname)).toBe(true);
  if ("key" in request) for (const part of request.key) expect(typeof part).toBe("string");
  if ("prefix" in request) for (const part of request.prefix) expect(typeof part).toBe("string");
  if (request.command === "configure") expect(request.config).not.toBeUndefined();
  for (const flag of ["redact", "withTimestamp"]) {
    if (flag in request) expect(typeof (request as Record<string, unknown>)[flag]).toBe("boolean");
  }
}

function check(line: string): void {
  const id = requestId(line);
  if (id !== undefined) expect(isId(id)).toBe(true);
  const request = parsedOrRejected(() => parseControlRequest(line), ControlRequestError);
  if (request) expectSane(request);
}

describe("parseControlRequest (fuzzed)", () => {
  it("returns a well-typed request or a ControlRequestError for any line", () => {
    fc.assert(fc.property(requestLine, check), { numRuns: RUNS.many });
  });

  it("answers ~100 KB and deeply nested lines in bounded time", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          longLine(
            ["[", "{", '"a', "\\u0000", '{"a":', "1"],
            ['{"command":"get","key":[', '{"id":'],
          ),
          deepJsonText([
            ["", ""],
            ['{"command":"configure","ifname":"eth0","config":', "}"],
          ]),
        ),
        check,
      ),
      { numRuns: RUNS.few },
    );
  }, 20_000);
});

describe("control socket framing (fuzzed)", () => {
  const MAX_LINE_BYTES = 4_096;
  let base: string;
  let server: PrivateSocket;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "statenet-fuzz-control-"));
    server = await createControlServer({
      dir: join(base, "control"),
      logger: silentLogger(),
      maxLineBytes: MAX_LINE_BYTES,
      handle: (request) => ({ command: request.command }),
    });
  });

  afterAll(async () => {
    await server?.close();
    await rm(base, { recursive: true, force: true });
  });

  /** Sends `bytes` cut at `points`, waits for `expected` reply lines, then hangs up. */
  async function converse(
    bytes: Buffer,
    points: readonly number[],
    expected: number,
  ): Promise<string[]> {
    const socket = net.createConnection(server.path);
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (data) => {
      received += data;
    });
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    for (const [index, start] of [0, ...points].entries()) {
      const part = bytes.subarray(start, points[index] ?? bytes.length);
      if (part.length > 0) await new Promise((written) => socket.write(part, written));
    }
    const lines = await waitUntil("every reply", () => {
      const complete = received.split("\n").slice(0, -1);
      return complete.length >= expected && complete;
    });
    socket.destroy();
    return lines;
  }

  it("answers every non-empty line with one reply line, in order, however the bytes arrive", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          requestLine.map((line) => line.replace(/\n/g, "")),
          { minLength: 1, maxLength: 5 },
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (requests, cuts) => {
          const bytes = Buffer.from(`${requests.join("\n")}\n`, "utf8");
          // What the server decodes: lone surrogates became U+FFFD on the way.
          const lines = bytes
            .toString("utf8")
            .split("\n")
            .slice(0, -1)
            .filter((line) => line.trim() !== "");
          fc.pre(lines.every((line) => Buffer.byteLength(line) < MAX_LINE_BYTES));
          const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const replies = (await converse(bytes, points, lines.length)).map(
            (reply) => JSON.parse(reply) as { id?: unknown; ok: boolean; result?: unknown },
          );
          expect(replies).toHaveLength(lines.length);
          for (const [index, line] of lines.entries()) {
            const reply = replies[index];
            let command: string | undefined;
            try {
              command = parseControlRequest(line).command;
            } catch {
              command = undefined;
            }
            expect(reply?.ok).toBe(command !== undefined);
            if (command !== undefined) expect(reply?.result).toEqual({ command });
            // As JSON carries it: -0 comes back as 0.
            expect(JSON.stringify(reply?.id)).toBe(JSON.stringify(requestId(line)));
          }
        },
      ),
      { numRuns: RUNS.few * 2 },
    );
  }, 30_000);
});
