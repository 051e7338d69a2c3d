/**
 * Compile-time exhaustiveness for a `switch` in the step functions: they are the explorer's
 * inner loop, where ts-pattern's match cost about 40% of the time.
 */
export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
