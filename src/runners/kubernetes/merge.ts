/**
 * Deep merges for pod and container specs. Lists of named things (containers, volumes, env,
 * ports) merge by name the way `kubectl patch` merges them; other lists are replaced.
 */
export type Json = Record<string, unknown>;

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
};

export function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `patch` merged into `base` (neither is modified); the patch wins on conflicts. */
export function deepMerge(base: Json, patch: Json): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = result[key];
    if (isPlainObject(current) && isPlainObject(value)) result[key] = deepMerge(current, value);
    else if (Array.isArray(current) && Array.isArray(value) && MERGE_KEYS[key]) result[key] = mergeByKey(current, value, MERGE_KEYS[key]);
    else if (value !== undefined) result[key] = value;
  }
  return result;
}

function mergeByKey(base: unknown[], patch: unknown[], key: string): unknown[] {
  const result = [...base];
  for (const item of patch) {
    const index = isPlainObject(item) ? result.findIndex((existing) => isPlainObject(existing) && existing[key] === item[key]) : -1;
    if (index >= 0) result[index] = deepMerge(result[index] as Json, item as Json);
    else result.push(item);
  }
  return result;
}

/**
 * Kestra's `containerDefaultSpec` rule: objects (securityContext, resources...) deep-merged with the
 * container's own values winning, `env` merged by name (the container's value wins), `volumeMounts`
 * of the defaults prepended.
 */
export function applyContainerDefaults(defaults: Json | undefined, container: Json): Json {
  if (!defaults) return container;
  const { env: defaultEnv, volumeMounts: defaultMounts, ...otherDefaults } = defaults;
  const merged = deepMerge(otherDefaults, withoutKeys(container, ['env', 'volumeMounts']));
  const env = replaceByName(asList(defaultEnv), asList(container.env));
  if (env.length > 0) merged.env = env;
  const ownMounts = asList(container.volumeMounts);
  const ownPaths = new Set(ownMounts.filter(isPlainObject).map((mount) => mount.mountPath));
  const mounts = [...asList(defaultMounts).filter((mount) => !isPlainObject(mount) || !ownPaths.has(mount.mountPath)), ...ownMounts];
  if (mounts.length > 0) merged.volumeMounts = mounts;
  return merged;
}

/** Entries of `own` replace same-named entries of `base` whole (a `value` must not meet a `valueFrom`). */
function replaceByName(base: unknown[], own: unknown[]): unknown[] {
  const ownByName = new Map(own.filter(isPlainObject).map((entry) => [entry.name, entry]));
  const replaced = base.map((entry) => (isPlainObject(entry) && ownByName.has(entry.name) ? ownByName.get(entry.name) : entry));
  const baseNames = new Set(base.filter(isPlainObject).map((entry) => entry.name));
  return [...replaced, ...own.filter((entry) => !isPlainObject(entry) || !baseNames.has(entry.name))];
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function withoutKeys(object: Json, keys: string[]): Json {
  const copy: Json = { ...object };
  for (const key of keys) delete copy[key];
  return copy;
}
