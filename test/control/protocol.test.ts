import { describe, expect, it } from "vitest";
import { ControlRequestError, parseControlRequest } from "../../src/control/protocol.js";

describe("wifi_scan requests", () => {
  it("names one interface, and keeps the id", () => {
    expect(parseControlRequest('{"command":"wifi_scan","ifname":"wlan0"}')).toEqual({
      command: "wifi_scan",
      ifname: "wlan0",
    });
    expect(parseControlRequest('{"id":"s1","command":"wifi_scan","ifname":"wlp2s0"}')).toEqual({
      id: "s1",
      command: "wifi_scan",
      ifname: "wlp2s0",
    });
  });

  it.each([
    ['{"command":"wifi_scan"}', "ifname must be an interface name"],
    ['{"command":"wifi_scan","ifname":7}', "ifname must be an interface name"],
    ['{"command":"wifi_scan","ifname":["wlan0"]}', "ifname must be an interface name"],
    ['{"command":"wifi_scan","ifname":""}', "ifname must be an interface name: "],
    ['{"command":"wifi_scan","ifname":"../../etc"}', "ifname must be an interface name: "],
    ['{"command":"wifi_scan","ifname":"wlan0 wlan1"}', "ifname must be an interface name: "],
    [
      '{"command":"wifi_scan","ifname":"a-name-over-15-bytes"}',
      "ifname must be an interface name: ",
    ],
    ['{"command":"wifi-scan","ifname":"wlan0"}', "unknown command; known: "],
    ['{"command":"scan","ifname":"wlan0"}', "unknown command; known: "],
  ])("refuses %s as the client's error", (line, message) => {
    let thrown: unknown;
    try {
      parseControlRequest(line);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ControlRequestError);
    expect((thrown as Error).message.startsWith(message)).toBe(true);
  });
});

describe("info and get options", () => {
  it("info takes redact and get withTimestamp, as booleans; absent, they are absent", () => {
    expect(parseControlRequest('{"command":"info"}')).toEqual({ command: "info" });
    expect(parseControlRequest('{"command":"info","redact":false}')).toEqual({
      command: "info",
      redact: false,
    });
    expect(parseControlRequest('{"command":"get","key":["connection"]}')).toEqual({
      command: "get",
      key: ["connection"],
    });
    expect(
      parseControlRequest('{"id":3,"command":"get","key":["connection"],"withTimestamp":true}'),
    ).toEqual({ id: 3, command: "get", key: ["connection"], withTimestamp: true });
  });

  it.each([
    ['{"command":"info","redact":"false"}', "redact must be true or false"],
    ['{"command":"info","redact":0}', "redact must be true or false"],
    ['{"command":"get","key":["a"],"withTimestamp":1}', "withTimestamp must be true or false"],
    ['{"command":"get","key":["a"],"withTimestamp":null}', "withTimestamp must be true or false"],
  ])("refuses %s naming the field", (line, message) => {
    expect(() => parseControlRequest(line)).toThrow(new ControlRequestError(message));
  });
});
