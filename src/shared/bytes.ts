/** `64 MiB`, `1.5 GiB`: sizes as messages and status lines show them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let unit = 0;
  while (unit < units.length - 1 && bytes >= 1024 ** (unit + 1)) unit += 1;
  const value = bytes / 1024 ** unit;
  return `${Number.isInteger(value) ? value : Number(value.toFixed(2))} ${units[unit]}`;
}
