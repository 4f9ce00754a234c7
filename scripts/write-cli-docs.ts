import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { bashCompletion, manPage } from "../src/cli/cli-docs.js";

/** Writes the man page and the shell completion from the CLI's command table. */

const root = new URL("..", import.meta.url);
const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as {
  version: string;
};
const files: Array<[string, string]> = [
  ["docs/statenet.1", manPage(version)],
  ["contrib/completion/statenet.bash", bashCompletion()],
];
for (const [path, text] of files) {
  const url = new URL(path, root);
  mkdirSync(new URL(".", url), { recursive: true });
  writeFileSync(url, text);
  console.log(`wrote ${url.pathname}`);
}
