// Saves two configurations of eth0 in turn, as fast as it can, until killed.
import { ConfigStore } from "../../src/persistence/config-store.js";

const [dir, keyHex] = process.argv.slice(2);
if (!dir || !keyHex) throw new Error("usage: save-loop DIR KEY_HEX");
const store = new ConfigStore({ dir, key: Buffer.from(keyHex, "hex") });
const config = (last: number) => ({
  type: "ethernet" as const,
  ipv4: { method: "static" as const, address: `192.0.2.${last}`, prefixLength: 24 },
});
await store.save("eth0", config(10));
process.stdout.write("ready\n");
for (let round = 0; ; round += 1) await store.save("eth0", config(round % 2 === 0 ? 11 : 10));
