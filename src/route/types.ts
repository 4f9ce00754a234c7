/** What kind of link an interface is; decides its place in the default route order. */
export type InterfaceType = "ethernet" | "wifi" | "mobile" | "local" | "unknown";

export type ConnectionStatus = "disconnected" | "lan" | "internet";

export interface Ipv4Address {
  address: string;
  prefixLength: number;
}

/** Everything the calculator needs to know about one interface. */
export interface InterfaceInfo {
  type: InterfaceType;
  status: ConnectionStatus;
  /** Tie breaker between interfaces of the same type and status, 0..9. */
  weight: number;
  /** The first address is the primary one: its subnet gets the link route. */
  addresses: readonly Ipv4Address[];
  gateway?: string | undefined;
}

/** A metric for the interface's routes in `main`, or "disabled" for no routes at all. */
export type MetricFunction = (ifname: string, info: InterfaceInfo) => number | "disabled";

/** Routing table per interface, allocated from FIRST_TABLE. */
export type TableIndices = Readonly<Record<string, number>>;

export type RoutingTable = number | "main";

export interface RuleEntry {
  kind: "rule";
  from: string;
  table: number;
  priority: number;
}

export interface SubnetRouteEntry {
  kind: "subnet_route";
  ifname: string;
  /** Network in CIDR form, e.g. `192.0.2.0/24`. */
  network: string;
  /** Preferred source address; routes adopted from the kernel may lack one. */
  source?: string | undefined;
  metric: number;
  table: RoutingTable;
}

export interface DefaultRouteEntry {
  kind: "default_route";
  ifname: string;
  /** Absent for point-to-point links and for routes adopted from the kernel that had none. */
  gateway?: string | undefined;
  metric: number;
  table: RoutingTable;
}

export type RouteEntry = RuleEntry | SubnetRouteEntry | DefaultRouteEntry;

/** One step of a plan: add a new entry, replace one with the same kernel key, or delete. */
export interface RouteChange {
  op: "add" | "replace" | "del";
  entry: RouteEntry;
}

/** What the route manager reads from the kernel. */
export interface KernelRoutes {
  /** statenet's own rules and routes (protocol 222). */
  owned: RouteEntry[];
  /** Default routes in `main` that someone else added. */
  foreign: DefaultRouteEntry[];
}
