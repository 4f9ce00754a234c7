// statenet's offline visualizer: everything from the local relay, nothing from the network.

/** Events that come with every check: hidden unless asked for, they would bury the rest. */
const PERIODIC = new Set(["connectivity.checked", "watchdog.pet", "traffic.observed"]);
/** The same event to the same actor again within this time is one row with a count. */
const REPEAT_MS = 2_000;
const MAX_EVENTS = 1_000;
const MAX_SHOWN = 400;
const MAX_PROBES = 8;
const MAX_LOG_LINES = 200;
/** Interface properties whose change makes their interface the one to show first. */
const CHANGE_LEAVES = /^(state|connection|connectivity\/status|lower_up|present|dhcp_options)$/;

const $ = (id) => document.getElementById(id);
const safeId = (id) => id.replace(/[^A-Za-z0-9_]/g, "_");

let actors; // sessionId → { name, machine, parentId, value, context }
let properties; // key → { value, at }
let events; // { key, at, last, count, actor, kind, text, reason }
let probes; // ifname → [{ at, ok, rttMs, detail }]
let logLines; // { level, msg, fields, at }
let replayed;
let selected;
/** The user picked an actor: the page stops following the latest change. */
let chosen = false;
let changedKey;

function reset() {
  actors = new Map();
  properties = new Map();
  events = [];
  probes = new Map();
  logLines = [];
  replayed = false;
  changedKey = undefined;
  $("log").replaceChildren();
  $("log-lines").replaceChildren();
}

// ---- Text forms ----------------------------------------------------------

/** `{ lan: "waiting" }` → `lan.waiting`; parallel regions are listed with commas. */
function statePath(value) {
  if (typeof value === "string") return value;
  if (value === null || typeof value !== "object") return "";
  return Object.entries(value)
    .map(([key, child]) => {
      const below = statePath(child);
      return below ? `${key}.${below}` : key;
    })
    .join(", ");
}

/** `{ lan: "probing" }` → ["lan", "lan.probing"], as state node paths. */
function activePaths(value, prefix = "") {
  if (typeof value === "string") return [prefix + value];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => [
    prefix + key,
    ...activePaths(child, `${prefix}${key}.`),
  ]);
}

/** A property's value for a person: addresses as `a/len`, lists with commas, objects as k=v. */
function showValue(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "object") return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    return value.map(showItem).join(", ");
  }
  return Object.entries(value)
    .map(([key, item]) => `${key}=${typeof item === "object" ? JSON.stringify(item) : item}`)
    .join("\n");
}

function showItem(item) {
  if (item && typeof item === "object" && "address" in item && "prefixLength" in item)
    return `${item.address}/${item.prefixLength}`;
  return typeof item === "object" ? JSON.stringify(item) : String(item);
}

const time = (at) => {
  const date = new Date(Number(at));
  return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, "0")}`;
};

/** A route manager entry as `ip` would print it. */
function showRoute(entry) {
  const table = entry.table === undefined ? "" : ` table ${entry.table}`;
  const metric = entry.metric === undefined ? "" : ` metric ${entry.metric}`;
  switch (entry.kind) {
    case "rule":
      return `rule: from ${entry.from} lookup ${entry.table} pref ${entry.priority}`;
    case "default_route":
      return `route: default via ${entry.gateway ?? "–"} dev ${entry.ifname}${table}${metric}`;
    case "subnet_route":
      return `route: ${entry.network} dev ${entry.ifname}${entry.source ? ` src ${entry.source}` : ""}${table}${metric}`;
    default:
      return JSON.stringify(entry);
  }
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// ---- Which interface --------------------------------------------------------

const property = (key) => properties.get(key)?.value;
const ifnameOf = (name) => /^[a-z]+:(.+)$/.exec(name ?? "")?.[1];
const actorNamed = (name) => [...actors.entries()].find(([, actor]) => actor.name === name);

function interfaceNames() {
  const names = new Set();
  for (const key of properties.keys()) {
    const match = /^interface\/([^/]+)\/(state|connection|config)$/.exec(key);
    if (match) names.add(match[1]);
  }
  for (const actor of actors.values()) {
    if (actor.name?.startsWith("interface:")) names.add(ifnameOf(actor.name));
  }
  return [...names].sort();
}

/** The interface whose state, connection or link changed last. */
function lastChangedInterface() {
  let latest;
  for (const [key, { at }] of properties) {
    const match = /^interface\/([^/]+)\/(.+)$/.exec(key);
    if (!match || !CHANGE_LEAVES.test(match[2])) continue;
    if (!actorNamed(`interface:${match[1]}`)) continue;
    if (!latest || at > latest.at) latest = { ifname: match[1], at };
  }
  return latest?.ifname ?? interfaceNames().find((ifname) => actorNamed(`interface:${ifname}`));
}

function followLatest() {
  if (chosen || !replayed) return;
  const ifname = lastChangedInterface();
  const found = ifname && actorNamed(`interface:${ifname}`);
  if (found && found[0] !== selected) select(found[0], false);
}

/** The interface the details panel is about: the selected actor's, else the one shown last. */
let detailIfname;
function currentIfname() {
  const ifname = ifnameOf(actors.get(selected)?.name);
  if (ifname) detailIfname = ifname;
  return detailIfname;
}

// ---- Rendering ---------------------------------------------------------------

let pending;
const dirty = new Set();
/** Many messages arrive at once (a replay): each part is drawn once per frame. */
function later(...parts) {
  for (const part of parts) dirty.add(part);
  if (pending !== undefined) return;
  pending = requestAnimationFrame(() => {
    pending = undefined;
    const parts = [...dirty];
    dirty.clear();
    if (parts.includes("header")) renderHeader();
    if (parts.includes("actors")) renderActors();
    if (parts.includes("diagram")) void renderDiagram();
    if (parts.includes("details")) renderDetails();
    if (parts.includes("properties")) renderProperties();
    if (parts.includes("log")) renderLog();
    if (parts.includes("lines")) renderLogLines();
  });
}

function renderHeader() {
  const status = property("connection");
  const network = $("network");
  network.textContent = `network: ${status ?? "–"}`;
  network.dataset.status = status ?? "unknown";
  const list = $("uplinks");
  list.replaceChildren();
  for (const ifname of interfaceNames()) {
    const connection = property(`interface/${ifname}/connection`) ?? "–";
    const state = property(`interface/${ifname}/state`) ?? "–";
    const item = element("li");
    item.dataset.ifname = ifname;
    item.dataset.status = connection;
    item.append(element("b", ifname), ` ${connection} · ${state}`);
    item.title = String(property(`interface/${ifname}/connectivity/reason`) ?? "");
    item.onclick = () => {
      const found = actorNamed(`interface:${ifname}`);
      if (found) select(found[0], true);
    };
    list.append(item);
  }
  const order = property("available_interfaces");
  $("route-order").textContent =
    Array.isArray(order) && order.length > 0 ? order.join(" > ") : "none";
  const problems = logLines.length;
  $("warnings").hidden = problems === 0;
  $("warnings").textContent =
    `${problems} ${problems === 1 ? "warning or error" : "warnings or errors"}`;
}

function renderActors() {
  const list = $("actors");
  list.replaceChildren();
  const children = (parentId) =>
    [...actors.entries()].filter(([, actor]) => actor.parentId === parentId);
  const add = (into, [sessionId, actor]) => {
    const item = element("li");
    const label = element("span", `${actor.name} `);
    label.dataset.session = sessionId;
    label.className = sessionId === selected ? "selected" : "";
    label.append(element("span", statePath(actor.value), "value"));
    label.onclick = () => select(sessionId, true);
    item.append(label);
    const nested = children(sessionId);
    if (nested.length > 0) {
      const sub = element("ul");
      for (const child of nested) add(sub, child);
      item.append(sub);
    }
    into.append(item);
  };
  for (const root of children(undefined)) add(list, root);
}

function select(sessionId, byUser) {
  if (byUser) chosen = true;
  selected = sessionId;
  view.fitted = false;
  later("actors", "diagram", "details");
}

function renderDetails() {
  const ifname = currentIfname();
  $("detail-ifname").textContent = ifname ?? "–";
  const details = $("interface-details");
  details.replaceChildren();
  const lease = $("lease");
  lease.replaceChildren();
  const probeRows = $("probes").tBodies[0];
  probeRows.replaceChildren();
  const routes = $("routes");
  routes.replaceChildren();
  const pair = (into, term, value) => into.append(element("dt", term), element("dd", value));
  if (ifname) {
    const at = (leaf) => property(`interface/${ifname}/${leaf}`);
    const checker = actorNamed(`connectivity:${ifname}`)?.[1];
    const machine = actorNamed(`interface:${ifname}`)?.[1];
    pair(details, "state", machine ? statePath(machine.value) : String(at("state") ?? "–"));
    pair(details, "connection", String(at("connection") ?? "–"));
    if (checker) pair(details, "checker", statePath(checker.value));
    pair(details, "reason", String(at("connectivity/reason") ?? "–"));
    pair(details, "addresses", showValue(at("addresses")));
    pair(details, "carrier", at("lower_up") === undefined ? "–" : at("lower_up") ? "up" : "down");
    const rtt = at("connectivity/rtt_ms");
    if (rtt !== undefined)
      pair(details, "round trip", `${rtt} ms (timeout ${at("connectivity/probe_timeout_ms")} ms)`);
    if (at("connectivity/last_check")) pair(details, "last check", at("connectivity/last_check"));
    if (at("connectivity/hold_down_until"))
      pair(details, "hold down until", at("connectivity/hold_down_until"));

    const options = at("dhcp_options");
    if (options && typeof options === "object") {
      pair(lease, "address", `${options.address}/${options.prefixLength ?? "?"}`);
      if (options.routers) pair(lease, "routers", showValue(options.routers));
      if (options.nameServers) pair(lease, "DNS", showValue(options.nameServers));
      if (options.serverId) pair(lease, "server", options.serverId);
      if (options.leaseSeconds !== undefined) pair(lease, "lease", `${options.leaseSeconds} s`);
      if (at("dhcp_lease_expires")) pair(lease, "expires", at("dhcp_lease_expires"));
      const rest = Object.entries(options).filter(
        ([key]) =>
          ![
            "address",
            "prefixLength",
            "routers",
            "nameServers",
            "serverId",
            "leaseSeconds",
            "netmask",
          ].includes(key),
      );
      for (const [key, value] of rest) pair(lease, key, showValue(value));
    } else lease.append(element("dd", "no lease", "empty"));

    const recent = probes.get(ifname) ?? [];
    for (const probe of recent) {
      const row = probeRows.insertRow();
      row.insertCell().textContent = time(probe.at);
      const result = row.insertCell();
      result.textContent = probe.ok ? "ok" : "failed";
      result.className = probe.ok ? "ok" : "failed";
      row.insertCell().textContent = probe.rttMs === undefined ? "–" : `${probe.rttMs} ms`;
      row.insertCell().textContent = probe.detail ?? "";
    }
    if (recent.length === 0) probeRows.insertRow().insertCell().textContent = "none yet";
  }
  const routeManager = actorNamed("routeManager")?.[1]?.context;
  const applied = routeManager?.applied ?? [];
  // Rules first, then each table's routes: the order `ip rule` and `ip route show table` read in.
  const sorted = [...applied].sort(
    (a, b) =>
      (a.kind === "rule" ? 0 : 1) - (b.kind === "rule" ? 0 : 1) ||
      String(a.table).localeCompare(String(b.table)),
  );
  const addresses = new Set(
    (property(`interface/${ifname}/addresses`) ?? []).map((entry) => entry.address),
  );
  for (const entry of sorted) {
    const item = element("li", showRoute(entry));
    if (entry.ifname === ifname || addresses.has(entry.from)) item.className = "mine";
    routes.append(item);
  }
  for (const entry of routeManager?.foreign ?? []) {
    routes.append(element("li", `not statenet's: ${showRoute(entry)}`, "empty"));
  }
  if (routeManager?.lastError) {
    routes.append(element("li", `refused: ${JSON.stringify(routeManager.lastError)}`, "failed"));
  }
  if (applied.length === 0) routes.append(element("li", "none", "empty"));
}

/**
 * Rows are kept by key and only their changed values rewritten: a person
 * selecting or reading a value is not interrupted by every other property's
 * change (a checker publishes its details every few seconds).
 */
function renderProperties() {
  const filter = $("property-filter").value.trim().toLowerCase();
  const body = $("properties").tBodies[0];
  const rows = new Map([...body.rows].map((row) => [row.dataset.key, row]));
  const keys = [...properties.keys()]
    .sort()
    .filter((key) => !filter || key.toLowerCase().includes(filter));
  keys.forEach((key, index) => {
    let row = rows.get(key);
    rows.delete(key);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.key = key;
      // Slashes may break a long key; nothing else does.
      row.insertCell().textContent = key.replaceAll("/", "/\u200b");
      row.insertCell().append(element("div"));
    }
    row.className = key === changedKey ? "changed" : "";
    const value = row.cells[1].firstChild;
    const shown = showValue(property(key));
    if (value.textContent !== shown) value.textContent = shown;
    if (body.rows[index] !== row) body.insertBefore(row, body.rows[index] ?? null);
  });
  for (const row of rows.values()) row.remove();
}

// ---- Diagram -------------------------------------------------------------------

const diagrams = new Map(); // machine id → SVG text
const view = { machine: undefined, scale: 1, width: 0, height: 0, fitted: false };
/** Below this, Graphviz's 9–11 pt labels are no longer readable. */
const READABLE = 1.1;

async function renderDiagram() {
  const actor = actors.get(selected);
  const container = $("diagram");
  if (!actor) return;
  $("diagram-title").textContent = `${actor.name} (${actor.machine ?? "no machine"})`;
  $("state-path").textContent = statePath(actor.value) || "–";
  if (!actor.machine) {
    container.replaceChildren(element("p", "no diagram: not a state machine", "empty"));
    view.machine = undefined;
    return;
  }
  if (view.machine !== actor.machine) {
    if (!diagrams.has(actor.machine)) {
      const response = await fetch(`/diagrams/${actor.machine}.svg`);
      diagrams.set(actor.machine, response.ok ? await response.text() : "");
    }
    container.innerHTML = diagrams.get(actor.machine);
    view.machine = actor.machine;
    view.fitted = false;
    const box = container.querySelector("svg")?.viewBox.baseVal;
    view.width = box?.width ?? 0;
    view.height = box?.height ?? 0;
  }
  const active = new Set(
    activePaths(actor.value).map((path) => safeId(`${actor.machine}.${path}`)),
  );
  for (const group of container.querySelectorAll("g.node, g.cluster")) {
    const title = group.querySelector("title")?.textContent ?? "";
    const state = title.startsWith("cluster_") ? title.slice("cluster_".length) : title;
    group.classList.toggle("active", active.has(state));
    group.dataset.state = state;
  }
  if (!view.fitted) {
    view.fitted = true;
    showActive();
  }
}

function fitScale() {
  const container = $("diagram");
  if (!view.width || !view.height) return 1;
  return Math.min(container.clientWidth / view.width, container.clientHeight / view.height);
}

function zoom(scale, around) {
  const container = $("diagram");
  const svg = container.querySelector("svg");
  if (!svg || !view.width) return;
  const rect = container.getBoundingClientRect();
  const point = around ?? { x: rect.width / 2, y: rect.height / 2 };
  // The diagram point under `point` stays there.
  const x = (container.scrollLeft + point.x) / view.scale;
  const y = (container.scrollTop + point.y) / view.scale;
  view.scale = Math.min(Math.max(scale, 0.1), 4);
  svg.setAttribute("width", String(view.width * view.scale));
  svg.setAttribute("height", String(view.height * view.scale));
  container.scrollLeft = x * view.scale - point.x;
  container.scrollTop = y * view.scale - point.y;
}

/** The whole diagram if it is readable that way, else readable and centred on the active state. */
function showActive() {
  const fit = fitScale();
  if (fit >= READABLE) {
    zoom(Math.min(fit, 1.6));
    return;
  }
  zoom(READABLE);
  const container = $("diagram");
  const target = [...container.querySelectorAll("g.node.active")].pop();
  if (!target) return;
  const box = target.getBoundingClientRect();
  const frame = container.getBoundingClientRect();
  container.scrollLeft += box.left + box.width / 2 - (frame.left + frame.width / 2);
  container.scrollTop += box.top + box.height / 2 - (frame.top + frame.height / 2);
}

function setUpDiagramControls() {
  const container = $("diagram");
  $("zoom-fit").onclick = () => zoom(fitScale());
  $("zoom-in").onclick = () => zoom(view.scale * 1.25);
  $("zoom-out").onclick = () => zoom(view.scale / 1.25);
  $("zoom-active").onclick = () => showActive();
  container.addEventListener(
    "wheel",
    (event) => {
      if (!event.ctrlKey) return;
      event.preventDefault();
      const rect = container.getBoundingClientRect();
      zoom(view.scale * (event.deltaY < 0 ? 1.15 : 1 / 1.15), {
        x: event.clientX - rect.left,
        y: event.clientY - rect.top,
      });
    },
    { passive: false },
  );
  let drag;
  container.addEventListener("pointerdown", (event) => {
    drag = {
      x: event.clientX,
      y: event.clientY,
      left: container.scrollLeft,
      top: container.scrollTop,
    };
    container.classList.add("dragging");
  });
  addEventListener("pointermove", (event) => {
    if (!drag) return;
    container.scrollLeft = drag.left - (event.clientX - drag.x);
    container.scrollTop = drag.top - (event.clientY - drag.y);
  });
  addEventListener("pointerup", () => {
    drag = undefined;
    container.classList.remove("dragging");
  });
}

// ---- Events ------------------------------------------------------------------

function eventText(event) {
  return ["ifname", "status", "state", "reachable"]
    .filter((field) => event[field] !== undefined)
    .map((field) => `${field}=${event[field]}`)
    .join(" ");
}

function record(message) {
  const event = message.event ?? {};
  const at = Number(message.createdAt);
  const actor = actors.get(message.sessionId)?.name ?? message.sessionId;
  // A probe's answer goes to the checker as a done event: kept as the interface's last probes.
  if (String(event.type).startsWith("xstate.done.actor.") && actor?.startsWith("connectivity:")) {
    const output = event.output;
    if (output && typeof output.ok === "boolean") addProbe(ifnameOf(actor), { at, ...output });
    return;
  }
  if (String(event.type).startsWith("xstate.error.actor.") && actor?.startsWith("connectivity:")) {
    addProbe(ifnameOf(actor), {
      at,
      ok: false,
      detail: String(event.error?.message ?? event.error ?? "failed"),
    });
    return;
  }
  if (String(event.type).startsWith("xstate.")) return;
  const key = `${message.sessionId} ${JSON.stringify(event)}`;
  const same = events.findLast((entry) => entry.key === key);
  if (same && at - same.last <= REPEAT_MS && at >= same.last) {
    same.count += 1;
    same.last = at;
  } else {
    events.push({
      key,
      at,
      last: at,
      count: 1,
      actor,
      kind: event.type,
      text: eventText(event),
      reason: event.reason,
    });
    if (events.length > MAX_EVENTS) events.shift();
    addOption($("filter-actor"), actor);
    addOption($("filter-kind"), event.type);
  }
  later("log");
}

function addProbe(ifname, probe) {
  if (!ifname) return;
  const list = probes.get(ifname) ?? [];
  list.unshift(probe);
  list.length = Math.min(list.length, MAX_PROBES);
  probes.set(ifname, list);
  if (ifname === detailIfname) later("details");
}

function addOption(select, value) {
  if ([...select.options].some((option) => option.value === value)) return;
  const option = element("option", value);
  option.value = value;
  const after = [...select.options].slice(1).find((other) => other.value > value);
  select.insertBefore(option, after ?? null);
}

function renderLog() {
  const actor = $("filter-actor").value;
  const kind = $("filter-kind").value;
  const hidePeriodic = $("hide-periodic").checked;
  const shown = events
    .filter(
      (entry) =>
        (!actor || entry.actor === actor) &&
        (!kind || entry.kind === kind) &&
        !(hidePeriodic && PERIODIC.has(entry.kind)),
    )
    .slice(-MAX_SHOWN)
    .reverse();
  const list = $("log");
  list.replaceChildren(
    ...shown.map((entry) => {
      const item = element("li");
      item.dataset.actor = entry.actor;
      item.dataset.kind = entry.kind;
      item.append(
        element("span", `${time(entry.at)} `, "time"),
        element("span", entry.actor, "actor"),
        " ← ",
        element("span", entry.kind, "kind"),
        entry.text ? ` ${entry.text}` : "",
      );
      if (entry.reason) item.append(element("span", ` (${entry.reason})`, "reason"));
      if (entry.count > 1) item.append(element("span", `×${entry.count}`, "count"));
      return item;
    }),
  );
}

function renderLogLines() {
  const list = $("log-lines");
  list.replaceChildren(
    ...logLines
      .slice()
      .reverse()
      .map((line) => {
        const item = element("li", undefined, line.level);
        const fields = Object.entries(line.fields ?? {})
          .map(
            ([key, value]) => `${key}=${typeof value === "object" ? JSON.stringify(value) : value}`,
          )
          .join(" ");
        item.append(
          element("span", `${time(line.at)} `, "time"),
          element("span", line.level.toUpperCase(), "level"),
          ` ${line.msg}${fields ? ` ${fields}` : ""}`,
        );
        return item;
      }),
  );
}

// ---- Messages ------------------------------------------------------------------

function machineOf(message) {
  try {
    return JSON.parse(message.definition ?? "null")?.id;
  } catch {
    return undefined;
  }
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
        context: known?.context ?? message.snapshot?.context,
      });
      later("actors", "header");
      followLatest();
      break;
    }
    case "@xstate.snapshot": {
      const actor = actors.get(message.sessionId);
      if (!actor) break;
      actor.value = message.snapshot?.value;
      actor.context = message.snapshot?.context;
      if (message.snapshot?.status !== "active") actors.delete(message.sessionId);
      later("actors");
      if (message.sessionId === selected) later("diagram");
      if (
        message.sessionId === selected ||
        ifnameOf(actor.name) === detailIfname ||
        actor.name === "routeManager"
      )
        later("details");
      break;
    }
    case "@xstate.event":
      record(message);
      break;
    case "@statenet.property":
      if (message.value === null) properties.delete(message.key);
      else
        properties.set(message.key, { value: message.value, at: Number(message.at) || Date.now() });
      changedKey = message.key;
      later("properties", "header", "details");
      followLatest();
      break;
    case "@statenet.log":
      logLines.push(message);
      if (logLines.length > MAX_LOG_LINES) logLines.shift();
      later("lines", "header");
      break;
    case "@statenet.replayed":
      replayed = true;
      followLatest();
      break;
  }
}

function connect() {
  const socket = new WebSocket(`ws://${location.host}`);
  socket.onopen = () => {
    // The relay sends the whole picture again: what is shown starts over, or every event doubles.
    reset();
    later("actors", "header", "properties", "details", "log", "lines");
    $("connection").textContent = "relay: live";
    $("connection").className = "status live";
  };
  socket.onmessage = (message) => receive(JSON.parse(message.data));
  socket.onclose = () => {
    $("connection").textContent = "relay: lost; retrying";
    $("connection").className = "status lost";
    setTimeout(connect, 2000);
  };
}

$("property-filter").addEventListener("input", () => later("properties"));
for (const id of ["filter-actor", "filter-kind", "hide-periodic"]) {
  $(id).addEventListener("change", () => later("log"));
}
$("warnings").onclick = () => $("log-lines-panel").scrollIntoView();
setUpDiagramControls();
reset();
connect();
