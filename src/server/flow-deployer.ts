/** `--flows DIR`: every flow file in DIR and its sub-folders is deployed at start, and again when it changes. */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { parseFlow } from '../flow/parse.ts';
import { isHarrierError } from '../shared/errors.ts';
import type { Store } from '../store/index.ts';

const DEBOUNCE_MS = 200;

export class FlowDeployer {
  private readonly dir: string;
  private readonly store: Store;
  private readonly log: (message: string) => void;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(dir: string, store: Store, log: (message: string) => void) {
    this.dir = dir;
    this.store = store;
    this.log = log;
  }

  async start(): Promise<void> {
    await this.deployAll();
    this.watcher = watch(this.dir, { recursive: true }, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.deployAll(), DEBOUNCE_MS);
    });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  /**
   * Saves a new revision of each flow whose file differs from what is deployed; a bad file is
   * reported and skipped, and so is a second file of a flow (the first in path order wins).
   * Hidden files and folders (`.git`, editors' backups) are not read.
   */
  private async deployAll(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.dir, { recursive: true }))
        .filter((name) => /\.ya?ml$/.test(name) && !name.split(sep).some((part) => part.startsWith('.')))
        .sort();
    } catch (error) {
      this.log(`flows: cannot read ${this.dir}: ${(error as Error).message}`);
      return;
    }
    const fileOf = new Map<string, string>();
    for (const name of names) {
      const file = join(this.dir, name);
      try {
        const source = await readFile(file, 'utf8');
        const flow = parseFlow(source, file);
        const key = `${flow.namespace}.${flow.id}`;
        const first = fileOf.get(key);
        if (first !== undefined) {
          this.log(`flows: ${file} declares ${key}, as ${first} does: skipped (give each flow one file)`);
          continue;
        }
        fileOf.set(key, file);
        if ((await this.store.getFlow(flow.namespace, flow.id))?.source === source) continue;
        const saved = await this.store.saveFlow(flow.namespace, flow.id, source);
        this.log(`flows: deployed ${flow.namespace}.${flow.id} revision ${saved.revision} from ${file}`);
      } catch (error) {
        this.log(`flows: ${isHarrierError(error) ? error.message : `cannot read ${file}: ${(error as Error).message}`}`);
      }
    }
  }
}
