/** The Process runner's `taskRunner` properties: it has none, so any key is a mistake. */
import type { z } from 'zod';
import { lazily, strictMap } from '../../flow/schema-kit.ts';

export const processRunnerPropertiesSchema = lazily(() => strictMap({}, 'a map (the Process runner has no properties)'));
export type ProcessRunnerProperties = z.output<ReturnType<typeof processRunnerPropertiesSchema>>;
