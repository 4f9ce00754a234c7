import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, prettyDestination, prettyLogLine } from "../../src/log.js";
import { captureLogs } from "../support/capture-logs.js";

/** `run --log-format pretty` (or STATENET_LOG_FORMAT=pretty), and the time of every entry. */

const captured = (format: "json" | "pretty") => captureLogs("debug", format);

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("log lines", () => {
  it("JSON ones carry an ISO time", () => {
    const { texts, logger } = captured("json");
    logger.info({ ifname: "eth0" }, "up");
    const entry = JSON.parse(texts.join("")) as { time: unknown; msg: unknown; level: unknown };
    expect(entry.time).toMatch(ISO);
    expect(entry).toMatchObject({ msg: "up", level: 30, ifname: "eth0" });
  });

  it("pretty ones: time, level, message, then key=value", () => {
    const { texts, logger } = captured("pretty");
    logger.warn({ ifname: "eth0", metric: 10, reason: "no carrier", up: false }, "link down");
    expect(texts).toHaveLength(1);
    const [time, ...rest] = (texts[0] ?? "").split(" ");
    expect(time).toMatch(ISO);
    expect(rest.join(" ")).toBe(
      'WARN  link down ifname=eth0 metric=10 reason="no carrier" up=false\n',
    );
  });

  it("pretty ones still mask secrets: pino redacts before the line is formatted", () => {
    const { texts, logger } = captured("pretty");
    logger.info(
      {
        config: { wifi: { networks: [{ ssid: "home", psk: "hunter2hunter2" }] } },
        password: "s3cret",
      },
      "configured",
    );
    const text = texts.join("");
    expect(text).not.toContain("hunter2hunter2");
    expect(text).not.toContain("s3cret");
    expect(text).toContain('config={"wifi":{"networks":[{"ssid":"home","psk":"***"}]}}');
    expect(text).toContain(" password=***\n");
  });

  it("STATENET_LOG_FORMAT=pretty picks the pretty format", () => {
    vi.stubEnv("STATENET_LOG_FORMAT", "pretty");
    const texts: string[] = [];
    const logger = createLogger({
      destination: { write: (line: string) => void texts.push(line) },
    });
    logger.info("hello");
    expect(texts[0]).toMatch(/^\S+ INFO {2}hello\n$/);
  });

  it("an error's stack follows its line, indented; control characters are escaped", () => {
    const error = new Error("boom");
    error.stack = "Error: boom\n    at somewhere (file.js:1:1)";
    const line = prettyLogLine({
      time: "2026-12-02T12:00:00.000Z",
      level: 50,
      msg: "failed \x1b[2J",
      name: "statenet",
      pid: 1,
      hostname: "h",
      err: { type: "Error", message: "boom", stack: error.stack },
      ssid: "\x1b]0;x\x07",
    });
    expect(line.split("\n")).toEqual([
      "2026-12-02T12:00:00.000Z ERROR failed \\e[2J err=boom ssid=\\e]0;x\\x07",
      "    Error: boom",
      "        at somewhere (file.js:1:1)",
    ]);
  });

  it("the pretty destination passes a line that is not JSON through, escaped", () => {
    const out: string[] = [];
    prettyDestination({ write: (line: string) => void out.push(line) }).write("not json\x1b\n");
    expect(out).toEqual(["not json\\e\n"]);
  });
});
