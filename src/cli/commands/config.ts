import { existsSync } from 'node:fs';
import { configFilePath, SETTING_NAMES, SETTINGS, settings } from '../config.ts';
import { formatOf, printDocument } from '../output.ts';
import { alignedTable } from '../report.ts';
import { BufferedWriter } from '../terminal.ts';

/** `harrier config`: every setting's effective value and where it came from. */
export async function configCommand(options: { output?: string; json?: boolean }): Promise<number> {
  const file = configFilePath();
  const current = await settings();
  const format = formatOf(options);
  if (format !== 'text') {
    await printDocument(format, {
      configFile: { path: file, exists: existsSync(file) },
      settings: Object.fromEntries(SETTING_NAMES.map((name) => [name, {
        value: current[name].value ?? null, source: current[name].source ?? null, from: current[name].from ?? null,
      }])),
    });
    return 0;
  }
  const out = new BufferedWriter(process.stdout);
  out.line(`config file: ${file}${existsSync(file) ? '' : ' (none)'}`);
  const rows = [['SETTING', 'VALUE', 'SOURCE']];
  for (const name of SETTING_NAMES) {
    const setting = current[name];
    const source = setting.source === undefined ? '-' : setting.from ? `${setting.source} (${setting.from})` : setting.source;
    rows.push([name, setting.value ?? '-', source]);
  }
  for (const line of alignedTable(rows)) out.line(line);
  out.line('');
  for (const name of SETTING_NAMES) out.line(`${name}: ${SETTINGS[name].description}; ${[SETTINGS[name].flag, SETTINGS[name].env].filter(Boolean).join(', ')}`);
  await out.drain();
  return 0;
}
