import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A folder holding one pure-Python wheel, `harrier-greeting==1.0.0` (module `harrier_greeting` with
 * `greet(who)`), made with Python's zipfile: a local package index for pip (`PIP_FIND_LINKS` with
 * `PIP_NO_INDEX=1`) where a test must run offline.
 */
export function greetingWheelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-wheels-'));
  const script = `
import sys, zipfile
name, version = 'harrier_greeting', '1.0.0'
info = f'{name}-{version}.dist-info'
files = {
    f'{name}.py': 'def greet(who):\\n    return f"Hello, {who}, from a wheel"\\n',
    f'{info}/METADATA': f'Metadata-Version: 2.1\\nName: harrier-greeting\\nVersion: {version}\\n',
    f'{info}/WHEEL': 'Wheel-Version: 1.0\\nGenerator: harrier-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
}
files[f'{info}/RECORD'] = ''.join(f'{path},,\\n' for path in files) + f'{info}/RECORD,,\\n'
with zipfile.ZipFile(f'{sys.argv[1]}/{name}-{version}-py3-none-any.whl', 'w') as wheel:
    for path, text in files.items():
        wheel.writestr(path, text)
`;
  execFileSync('python3', ['-c', script, dir], { stdio: 'pipe' });
  return dir;
}
