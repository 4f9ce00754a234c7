/**
 * An invoked actor's failure arrives as an `xstate.error.actor.<id>` event,
 * which is not among a machine's own events: read it without a cast.
 */
export function actorError(event: unknown): unknown {
  return typeof event === "object" && event !== null && "error" in event ? event.error : undefined;
}

/** The failure as text for logs and properties. */
export function actorErrorMessage(event: unknown): string {
  const error = actorError(event);
  return error instanceof Error ? error.message : String(error);
}
