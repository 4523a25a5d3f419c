/**
 * Kestra's `pluginDefaults`, applied to the plain flow object before validation:
 * - an entry applies to every map with a `type` key whose type equals the entry's `type` or starts
 *   with it (a plain string prefix), at any depth (tasks, nested tasks, taskRunner), children first;
 * - non-forced values lose to the map's own values; `forced: true` values win over them;
 * - merging deep-merges maps, concatenates lists and overrides scalars.
 * Harrier addition: a short alias (`python.Script`) also matches through its Kestra full name,
 * so a default keyed `io.kestra.plugin.scripts.python` applies to it.
 */

export interface PluginDefault {
  type: string;
  forced: boolean;
  values: Record<string, unknown>;
}

export type PlainMap = Record<string, unknown>;

export function isPlainMap(value: unknown): value is PlainMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `override` wins: maps deep-merge, lists concatenate (`base` first), anything else is replaced. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (isPlainMap(base) && isPlainMap(override)) {
    const merged: PlainMap = { ...base };
    for (const [key, value] of Object.entries(override)) {
      merged[key] = key in base ? mergeValues(base[key], value) : value;
    }
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(override)) return [...base, ...override];
  return override;
}

export function defaultMatches(entryType: string, type: string, canonicalType?: string): boolean {
  const matches = (candidate: string) => candidate === entryType || candidate.startsWith(entryType);
  return matches(type) || (canonicalType !== undefined && matches(canonicalType));
}

export interface ApplyOptions {
  /** The Kestra full name of an alias, if `type` is one. */
  canonicalType?: (type: string) => string | undefined;
}

/** A copy of `value` with every matching default applied; `value` itself is left untouched. */
export function applyPluginDefaults(value: unknown, defaults: readonly PluginDefault[], options: ApplyOptions = {}): unknown {
  if (defaults.length === 0) return value;
  if (Array.isArray(value)) return value.map((item) => applyPluginDefaults(item, defaults, options));
  if (!isPlainMap(value)) return value;

  let result: PlainMap = Object.fromEntries(
    Object.entries(value).map(([key, child]) => [key, applyPluginDefaults(child, defaults, options)]),
  );
  const type = result.type;
  if (typeof type !== 'string') return result;

  const canonical = options.canonicalType?.(type);
  const matching = defaults.filter((entry) => defaultMatches(entry.type, type, canonical));
  const soft = matching.filter((entry) => !entry.forced);
  const forced = matching.filter((entry) => entry.forced);
  if (soft.length > 0) result = mergeValues(combinedValues(soft), result) as PlainMap;
  if (forced.length > 0) result = mergeValues(result, combinedValues(forced)) as PlainMap;
  return result;
}

/** Several matching entries combine in order, a later entry winning over an earlier one. */
function combinedValues(entries: readonly PluginDefault[]): PlainMap {
  return entries.reduce<PlainMap>((combined, entry) => mergeValues(combined, entry.values) as PlainMap, {});
}
