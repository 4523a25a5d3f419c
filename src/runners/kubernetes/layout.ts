/**
 * Where things live inside a task pod. The paths follow Kestra's layout (`/kestra/working-dir`),
 * so scripts written for Kestra's Kubernetes runner find their files at the same place.
 */
export const FILES_VOLUME = 'kestra-files';
export const FILES_ROOT = '/kestra';
export const CONTAINER_WORKING_DIR = '/kestra/working-dir';
/** Created by the upload exec once the inputs are in place; releases the init container. */
export const READY_MARKER = '/kestra/.ready';
/** Created by the download exec once the outputs left the pod; lets the sidecar exit 0. */
export const ENDED_MARKER = '/kestra/.ended';
/** Scratch list of the files the download exec sends (outside the working directory). */
export const OUTPUT_LIST = '/kestra/.outputs';

export const INIT_CONTAINER = 'init-files';
export const MAIN_CONTAINER = 'main';
export const SIDECAR_CONTAINER = 'out-files';
export const FILE_CONTAINERS: readonly string[] = [INIT_CONTAINER, SIDECAR_CONTAINER];

export const LABEL_PREFIX = 'harrier.io/';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'harrier';
/** The informer watches only pods carrying this label. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

export function containerOutputDir(outputDirName: string): string {
  return `${CONTAINER_WORKING_DIR}/${outputDirName}`;
}
