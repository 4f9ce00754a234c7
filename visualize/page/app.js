// statenet's offline visualizer: everything from the local relay, nothing from the network.

const actors = new Map(); // sessionId → { name, machine, parentId, value }
const properties = new Map(); // key → value
let selected;
let shownMachine;
const diagrams = new Map(); // machine id → SVG text

const $ = (id) => document.getElementById(id);
const safeId = (id) => id.replace(/[^A-Za-z0-9_]/g, "_");

/** `{ lan: "probing" }` → ["lan", "lan.probing"], as state node paths. */
function activePaths(value, prefix = "") {
  if (typeof value === "string") return [prefix + value];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => [
    prefix + key,
    ...activePaths(child, `${prefix}${key}.`),
  ]);
}

const showValue = (value) =>
  typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);

function machineOf(message) {
  try {
    return JSON.parse(message.definition ?? "null")?.id;
  } catch {
    return undefined;
  }
}

function renderActors() {
  const list = $("actors");
  list.replaceChildren();
  const children = (parentId) =>
    [...actors.entries()].filter(([, actor]) => actor.parentId === parentId);
  const add = (into, [sessionId, actor]) => {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.dataset.session = sessionId;
    label.className = sessionId === selected ? "selected" : "";
    label.innerHTML = "";
    label.append(actor.name, " ");
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = showValue(actor.value);
    label.append(value);
    label.onclick = () => select(sessionId);
    item.append(label);
    const nested = children(sessionId);
    if (nested.length > 0) {
      const sub = document.createElement("ul");
      for (const child of nested) add(sub, child);
      item.append(sub);
    }
    into.append(item);
  };
  for (const root of children(undefined)) add(list, root);
}

async function select(sessionId) {
  selected = sessionId;
  renderActors();
  await renderDiagram();
}

async function renderDiagram() {
  const actor = actors.get(selected);
  if (!actor) return;
  $("diagram-title").textContent = `${actor.name} (${actor.machine ?? "no machine"})`;
  if (!actor.machine) return;
  if (shownMachine !== actor.machine) {
    if (!diagrams.has(actor.machine)) {
      const response = await fetch(`/diagrams/${actor.machine}.svg`);
      diagrams.set(actor.machine, response.ok ? await response.text() : "");
    }
    $("diagram").innerHTML = diagrams.get(actor.machine);
    shownMachine = actor.machine;
  }
  const active = new Set(
    activePaths(actor.value).map((path) => safeId(`${actor.machine}.${path}`)),
  );
  for (const group of $("diagram").querySelectorAll("g.node, g.cluster")) {
    const title = group.querySelector("title")?.textContent ?? "";
    const cluster = title.startsWith("cluster_") ? title.slice("cluster_".length) : title;
    group.classList.toggle("active", active.has(cluster));
    group.dataset.state = cluster;
  }
}

function renderProperties(changedKey) {
  const body = $("properties").tBodies[0];
  body.replaceChildren();
  for (const key of [...properties.keys()].sort()) {
    const row = body.insertRow();
    row.dataset.key = key;
    if (key === changedKey) row.className = "changed";
    row.insertCell().textContent = key;
    row.insertCell().textContent = JSON.stringify(properties.get(key));
  }
  const order = properties.get("available_interfaces");
  $("route-order").textContent =
    Array.isArray(order) && order.length > 0 ? order.join(" > ") : "none";
}

function log(message) {
  const event = message.event ?? {};
  const target = actors.get(message.sessionId)?.name ?? message.sessionId;
  const item = document.createElement("li");
  const details = ["ifname", "status", "state"]
    .filter((field) => event[field] !== undefined)
    .map((field) => `${field}=${event[field]}`)
    .join(" ");
  item.textContent = `${new Date(Number(message.createdAt)).toLocaleTimeString()} ${target} ← ${event.type} ${details}`;
  if (event.reason) {
    const reason = document.createElement("span");
    reason.className = "reason";
    reason.textContent = ` (${event.reason})`;
    item.append(reason);
  }
  const list = $("log");
  list.prepend(item);
  while (list.children.length > 300) list.lastChild.remove();
}

function receive(message) {
  switch (message.type) {
    case "@xstate.actor": {
      const known = actors.get(message.sessionId);
      actors.set(message.sessionId, {
        name: message.name,
        machine: machineOf(message),
        parentId: message.parentId,
        value: known?.value ?? message.snapshot?.value,
      });
      if (selected === undefined && message.parentId === undefined) selected = message.sessionId;
      renderActors();
      break;
    }
    case "@xstate.snapshot": {
      const actor = actors.get(message.sessionId);
      if (!actor) break;
      actor.value = message.snapshot?.value;
      if (message.snapshot?.status === "stopped" || message.snapshot?.status === "done") {
        actors.delete(message.sessionId);
      }
      renderActors();
      if (message.sessionId === selected) void renderDiagram();
      break;
    }
    case "@xstate.event":
      if (!String(message.event?.type).startsWith("xstate.")) log(message);
      break;
    case "@statenet.property":
      if (message.value === null) properties.delete(message.key);
      else properties.set(message.key, message.value);
      renderProperties(message.key);
      break;
  }
}

function connect() {
  const socket = new WebSocket(`ws://${location.host}`);
  socket.onopen = () => {
    $("connection").textContent = "live";
    $("connection").className = "status live";
  };
  socket.onmessage = (message) => receive(JSON.parse(message.data));
  socket.onclose = () => {
    $("connection").textContent = "relay lost; retrying";
    $("connection").className = "status lost";
    setTimeout(connect, 2000);
  };
}

connect();
