// @ts-expect-error: a plain ESM script without types
import { build } from '../../scripts/build.mjs';

/**
 * The tests run the `bluecast` executable as users do, and it runs dist/: build
 * it from the current sources first (about a second) so that no test runs a
 * stale compile.
 */
export default async function setup(): Promise<void> {
  await (build as () => Promise<void>)();
}
