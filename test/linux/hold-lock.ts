import { takeInstanceLock } from "../../src/linux/instance-lock.js";

// Takes the instance lock on the directory given, says so, and holds it until killed.
const [dir] = process.argv.slice(2);
if (!dir) throw new Error("usage: hold-lock.ts DIR");
await takeInstanceLock(dir);
process.stdout.write("locked\n");
setInterval(() => {}, 60_000);
