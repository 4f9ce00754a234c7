import { fromPromise, type NonReducibleUnknown } from "xstate";

interface Call<TOutput, TInput> {
  input: TInput;
  signal: AbortSignal;
  resolve: (output: TOutput) => void;
  reject: (error: unknown) => void;
  settled: boolean;
}

/**
 * A promise actor that settles only when the test says so, standing in for a
 * platform effect (reading the kernel, running `ip -batch`).
 */
export function controlledPromise<TOutput, TInput = NonReducibleUnknown>() {
  const calls: Array<Call<TOutput, TInput>> = [];
  const logic = fromPromise<TOutput, TInput>(
    ({ input, signal }) =>
      new Promise<TOutput>((resolve, reject) => {
        const call: Call<TOutput, TInput> = {
          input,
          signal,
          settled: false,
          resolve: (output) => {
            call.settled = true;
            resolve(output);
          },
          reject: (error) => {
            call.settled = true;
            reject(error);
          },
        };
        calls.push(call);
      }),
  );
  return {
    logic,
    calls,
    /** The most recent call that is still running. */
    current(): Call<TOutput, TInput> {
      const call = calls.at(-1);
      if (!call || call.settled || call.signal.aborted) {
        throw new Error("no running call of this actor");
      }
      return call;
    },
  };
}

/** Lets promise reactions and the actor's resulting events run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
