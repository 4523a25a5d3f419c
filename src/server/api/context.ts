import type { Engine } from '../../engine/index.ts';

export interface ServerLimits {
  /** Flow YAML and other small bodies. */
  bodyBytes: number;
  /** One uploaded file (FILE input, namespace file). */
  uploadBytes: number;
}

/** What every API module works with. */
export interface ApiContext {
  engine: Engine;
  stateDir: string;
  limits: ServerLimits;
  /** Tells idle worker slots of this process that an execution was queued. */
  wake(): void;
  log(message: string): void;
}
