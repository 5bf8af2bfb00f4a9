/**
 * Wraps a DockerAdapter to count its calls by method name, so a test can
 * assert that a steady state makes zero writes (DESIGN: "a steady state makes
 * zero writes") without caring which reads it made.
 */
import type { DockerAdapter } from './adapter.js';

// Every method that changes the engine's state; reads, inspects and events are not counted.
const MUTATING = /^(create|remove|start|stop|restart|rename|connect|put|pull|build|tag|untag)/;

/** The adapter wrapped, its call counts by method name, and the number of mutating calls. */
export function countingAdapter(inner: DockerAdapter): {
  adapter: DockerAdapter;
  counts: Record<string, number>;
  mutating(): number;
  reset(): void;
} {
  const counts: Record<string, number> = {};
  const adapter = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counts[property] = (counts[property] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  return {
    adapter,
    counts,
    mutating: () =>
      Object.entries(counts).reduce((sum, [name, n]) => (MUTATING.test(name) ? sum + n : sum), 0),
    reset: () => {
      for (const name of Object.keys(counts)) delete counts[name];
    },
  };
}
