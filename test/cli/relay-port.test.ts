import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startVisualizerRelay } from "../../src/cli/relay.js";
import { PortInUseError, startRelay } from "../../src/inspect/relay.js";
import { statenetFromSource } from "../support/statenet-cli.js";

/**
 * A port that another program holds is a user's everyday mistake: one line
 * saying so and a non-zero exit, no stack trace (the WebSocket server used to
 * re-emit the listen error where nobody listened).
 */

let holder: Server;
let port: number;

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  port = (holder.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => holder.close(resolve));
});

describe("a relay on a port in use", () => {
  it("startRelay rejects with PortInUseError", async () => {
    await expect(startRelay({ port })).rejects.toThrow(PortInUseError);
    await expect(startRelay({ port })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use`);
  });

  it("startVisualizerRelay (run --visualize's) says so in one line and gives nothing", async () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(await startVisualizerRelay(port, "--visualize=PORT")).toBeUndefined();
    } finally {
      write.mockRestore();
    }
    expect(written).toEqual([
      `statenet: port ${port} on 127.0.0.1 is in use (another program listens there: give another with --visualize=PORT)\n`,
    ]);
  });

  it("startVisualizerRelay on a free port serves", async () => {
    const relay = await startVisualizerRelay(0, "--visualize=PORT");
    try {
      expect(relay?.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    } finally {
      await relay?.close();
    }
  });

  it("statenet visualize --port N: one line on stderr, exit 1, no stack", {
    timeout: 60_000,
  }, async () => {
    const result = await statenetFromSource(["visualize", "--port", String(port)], {
      timeout: 50_000,
    });
    expect({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `statenet: port ${port} on 127.0.0.1 is in use (another program listens there: give another with --port N)`,
    });
  });
});
