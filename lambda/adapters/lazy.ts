/**
 * A value built on first use, then kept for the container's life: for SDK clients and adapters
 * that only some invocations need, so that a cold start does not pay to build them.
 */
export function lazy<T>(create: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => {
    built ??= { value: create() };
    return built.value;
  };
}

/** A dependency as an adapter takes it: the value itself, or a function that builds it on first use. */
export type OnFirstUse<T extends object> = T | (() => T);

/** The value of an `OnFirstUse`, building it if need be. */
export const resolve = <T extends object>(value: OnFirstUse<T>): T =>
  typeof value === 'function' ? (value as () => T)() : value;
