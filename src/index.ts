// For third-party technologies: their schemas are built with the zod statenet validates with.
export { z } from "zod";
export {
  type ConnectivitySettings,
  type ConnectivityStatus,
  connectivityCheckerMachine,
  DEFAULT_CONNECTIVITY,
} from "../machines/connectivity-checker.js";
export { type InterfaceMachine, interfaceMachine } from "../machines/interface.js";
export { type ManagerMachine, managerMachine } from "../machines/manager.js";
export {
  DEFAULT_POWER_SETTINGS,
  type PowerManagerMachine,
  type PowerSettings,
  type PowerStateName,
  powerManagerMachine,
} from "../machines/power-manager.js";
export {
  type InterfaceRouting,
  type RouteManagerEvent,
  type RouteManagerInput,
  type RouteStatus,
  routeManagerMachine,
} from "../machines/route-manager.js";
export { configJsonSchema } from "./config/json-schema.js";
export type { ReloadResult } from "./config/reload.js";
export type {
  Config,
  ConfigInput,
  DirectConfig,
  DirectConfigInput,
  EthernetConfig,
  EthernetConfigInput,
  Ieee8021xConfig,
  InterfaceConfig,
  InterfaceConfigInput,
  MobileConfig,
  MobileConfigInput,
  NullConfig,
  NullConfigInput,
  PowerManagerConfig,
  TechnologyConfigInput,
  WifiConfig,
  WifiConfigInput,
} from "./config/schema.js";
export { configSchemaFor, interfaceConfigSchemaFor } from "./config/schema.js";
export {
  ConfigError,
  type ConfigProblem,
  parseConfig,
  parseInterfaceConfig,
} from "./config/validate.js";
export {
  AlreadyRunningError,
  type InstanceLock,
  InstanceLockError,
  takeInstanceLock,
} from "./linux/instance-lock.js";
export { createIpRunner, IpBatchError, type IpRunner } from "./linux/ip.js";
export { linuxRouteManagerMachine, startLinuxRouteManager } from "./linux/route-manager.js";
export { createLogger, type Logger } from "./log.js";
export {
  type ConfigureOptions,
  type ConnectivityInfo,
  createNetworkManager,
  type InfoOptions,
  type InProcessPowerManager,
  type InterfaceInfo,
  type LeaseInfo,
  NetworkManager,
  type NetworkManagerInfo,
  type NetworkManagerOptions,
  NoPowerManagerError,
  NotConfiguredError,
  type PowerInfo,
} from "./network-manager.js";
export { UnregisteredTechnologyError } from "./persistence/config-store.js";
export type { PowerCallContext, PowerManagerImplementation } from "./power/implementation.js";
export {
  type PropertyChange,
  type PropertyKey,
  type PropertyListener,
  PropertyTable,
  type PropertyTimestamp,
  type TimestampedValue,
} from "./properties/property-table.js";
export { computeRoutes } from "./route/calculator.js";
export { defaultMetric } from "./route/default-metric.js";
export { interfaceTypeFromName, weightFromName } from "./route/interface-type.js";
// `InterfaceInfo` is what info() reports; the route calculator's input is RouteInterfaceInfo.
export type {
  ConnectionStatus,
  DefaultRouteEntry,
  InterfaceInfo as RouteInterfaceInfo,
  InterfaceType,
  Ipv4Address,
  KernelRoutes,
  MetricFunction,
  RouteChange,
  RouteEntry,
  RoutingTable,
  RuleEntry,
  SubnetRouteEntry,
  TableIndices,
} from "./route/types.js";
export * from "./technologies/authoring.js";
export type * from "./technologies/daemon.js";
export {
  BUILTIN_TECHNOLOGIES,
  builtinPlanner,
  technologyPlanner,
  UnknownTechnologyError,
} from "./technologies/index.js";
export {
  assertTechnology,
  InvalidTechnologyError,
  registerTechnologies,
  TechnologyClashError,
} from "./technologies/registry.js";
export type {
  DaemonStarters,
  Technology,
  TechnologyPlanner,
  TechnologySchema,
} from "./technologies/technology.js";
export type * from "./technologies/types.js";
