/**
 * A cgroup (v1 freezer hierarchy) that holds every process a Process task starts, so that a kill
 * reaches those that left the task's process group or session (`setsid`, daemons): the group is
 * frozen, each member killed, then thawed. What an attempt left running when its harrier process
 * died is killed when the next attempt starts. Where no writable freezer hierarchy is mounted (no
 * cgroup v1, not root) tasks run without one, and only their process group is killed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';

const FREEZER_ROOT = '/sys/fs/cgroup/freezer';
const HARRIER_GROUP = 'harrier';
/** How long the members may take to disappear once killed and thawed. */
const EMPTY_TIMEOUT_MS = 5_000;
const POLL_MS = 20;

export class TaskCgroup {
  private readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** A fresh cgroup named `name`, or undefined when this machine offers none to this process. */
  static create(name: string, root = FREEZER_ROOT): TaskCgroup | undefined {
    if (!existsSync(join(root, 'tasks'))) return undefined;
    const dir = join(root, HARRIER_GROUP, name);
    try {
      mkdirSync(dir, { recursive: true });
      return new TaskCgroup(dir);
    } catch {
      return undefined;
    }
  }

  /**
   * Kills what is left in the cgroups whose names start with `prefix`, except `keep`: the processes
   * of an attempt whose harrier process died (SIGKILL) without ending them.
   */
  static async killLeftovers(prefix: string, keep: string, root = FREEZER_ROOT): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(join(root, HARRIER_GROUP));
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith(prefix) && name !== keep) await new TaskCgroup(join(root, HARRIER_GROUP, name)).killAll();
    }
  }

  /**
   * The command line that first moves itself into the cgroup, then becomes `command`: nothing it
   * starts can run outside the cgroup, however early it forks.
   */
  wrap(command: string[]): string[] {
    return ['/bin/sh', '-c', 'echo $$ > "$0"; exec "$@"', join(this.dir, 'cgroup.procs'), ...command];
  }

  members(): number[] {
    try {
      return readFileSync(join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Kills every member, then removes the cgroup. Frozen first, so none can fork meanwhile. */
  async killAll(): Promise<void> {
    const deadline = Date.now() + EMPTY_TIMEOUT_MS;
    while (this.members().length > 0 && Date.now() < deadline) {
      this.setState('FROZEN');
      for (const pid of this.members()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      this.setState('THAWED');
      await sleep(POLL_MS);
    }
    try {
      rmdirSync(this.dir);
    } catch {
      // Still busy: a member in uninterruptible sleep; the empty directory is harmless.
    }
  }

  private setState(state: 'FROZEN' | 'THAWED'): void {
    try {
      writeFileSync(join(this.dir, 'freezer.state'), state);
    } catch {
      // A hierarchy without freezer.state: killing repeatedly still empties it.
    }
  }
}
