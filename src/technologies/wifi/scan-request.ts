/** The request a running WiFi daemon serves by name: its own module, so asking loads no WiFi code. */
export const WIFI_SCAN_REQUEST = "wifi.scan";
