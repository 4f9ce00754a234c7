/**
 * What a person or an app may ask of an interface's running daemons by name
 * (`wifi.scan`), without the API knowing which technology serves it: a
 * daemon registers its handlers while it runs.
 */

export type RequestHandler = (argument: unknown) => Promise<unknown>;

/** Nothing running on the interface serves the request (not configured, or not this technology). */
export class UnavailableRequestError extends Error {
  constructor(
    readonly ifname: string,
    readonly request: string,
  ) {
    super(`${ifname}: nothing running serves ${request} (is it configured for it, and up?)`);
    this.name = "UnavailableRequestError";
  }
}

export class InterfaceRequests {
  readonly #handlers = new Map<string, RequestHandler>();

  /** Serves `request` on `ifname` until the returned function is called. */
  register(ifname: string, request: string, handler: RequestHandler): () => void {
    const key = `${ifname}\0${request}`;
    this.#handlers.set(key, handler);
    return () => {
      // A newer daemon of the interface may have taken it over already.
      if (this.#handlers.get(key) === handler) this.#handlers.delete(key);
    };
  }

  call(ifname: string, request: string, argument?: unknown): Promise<unknown> {
    const handler = this.#handlers.get(`${ifname}\0${request}`);
    if (!handler) return Promise.reject(new UnavailableRequestError(ifname, request));
    return handler(argument);
  }
}
