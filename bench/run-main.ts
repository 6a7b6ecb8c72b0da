/**
 * A benchmark's entry point: runs `main`, and on failure prints the error and exits with 1.
 * With `exitWhenDone`, it also exits (with 0) once `main` succeeds, rather than waiting for
 * whatever the benchmark left open to close.
 */
export function runMain(main: () => Promise<void>, options: { readonly exitWhenDone?: boolean } = {}): void {
  main().then(
    () => {
      if (options.exitWhenDone) process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
