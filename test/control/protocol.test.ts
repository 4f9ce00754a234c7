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
