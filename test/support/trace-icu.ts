/**
 * Loaded with `--import`: records each first use of what loads ICU's locale data (toLocaleString,
 * localeCompare, the Intl constructors), whose first call costs 5 to 10 ms, and writes them to the
 * file named by HARRIER_TRACE_ICU when the process exits, so a test can keep them off start-up.
 */
import { writeFileSync } from 'node:fs';

const used = new Set<string>();
function record<Target extends object>(target: Target, name: keyof Target & string, label: string): void {
  const original = target[name] as (...args: unknown[]) => unknown;
  Object.defineProperty(target, name, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      used.add(label);
      return original.apply(this, args);
    },
  });
}
record(Number.prototype, 'toLocaleString', 'Number.prototype.toLocaleString');
record(BigInt.prototype, 'toLocaleString', 'BigInt.prototype.toLocaleString');
record(Date.prototype, 'toLocaleString', 'Date.prototype.toLocaleString');
record(Date.prototype, 'toLocaleDateString', 'Date.prototype.toLocaleDateString');
record(Date.prototype, 'toLocaleTimeString', 'Date.prototype.toLocaleTimeString');
record(String.prototype, 'localeCompare', 'String.prototype.localeCompare');
for (const name of ['DateTimeFormat', 'NumberFormat', 'Collator', 'PluralRules', 'RelativeTimeFormat', 'ListFormat', 'Segmenter'] as const) {
  const Original = Intl[name] as unknown as new (...args: unknown[]) => object;
  (Intl as unknown as Record<string, unknown>)[name] = new Proxy(Original, {
    construct(target, args) {
      used.add(`Intl.${name}`);
      return new target(...args);
    },
  });
}
process.on('exit', () => writeFileSync(process.env.HARRIER_TRACE_ICU!, [...used].join('\n')));
