/** Image references and pull policy against the local Docker image store (nothing can be pulled). */

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const DOMAIN = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?';
const REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);

/** The InvalidImageName message, or undefined when the reference parses (distribution/reference rules). */
export function invalidImageMessage(image: string): string | undefined {
  if (REFERENCE.test(image)) return undefined;
  const withoutTag = image.replace(/(:[\w][\w.-]*)?(@.*)?$/, '');
  const lowercaseOnly = REFERENCE.test(image.toLowerCase()) && withoutTag !== withoutTag.toLowerCase();
  const reason = lowercaseOnly ? 'invalid reference format: repository name must be lowercase' : 'invalid reference format';
  return `Failed to apply default image tag "${image}": couldn't parse image name "${image}": ${reason}`;
}

/** The fully qualified name containerd would try to pull, used in pull error messages. */
export function qualifiedImage(image: string): string {
  const first = image.split('/')[0];
  const hasDomain = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasDomain ? image : image.includes('/') ? `docker.io/${image}` : `docker.io/library/${image}`;
  const last = name.split('/').pop()!;
  if (!last.includes(':') && !last.includes('@')) name += ':latest';
  return name;
}

export type ImageVerdict =
  | { ok: true }
  | { ok: false; reason: 'InvalidImageName' | 'ErrImageNeverPull' | 'ErrImagePull'; message: string };

/** What the kubelet's image manager concludes for a container, given whether the image is local. */
export function imageVerdict(image: string, pullPolicy: string | undefined, present: boolean): ImageVerdict {
  const invalid = invalidImageMessage(image);
  if (invalid) return { ok: false, reason: 'InvalidImageName', message: invalid };
  // Always asks the registry even when the image is local, and no registry answers here (as on
  // the real cluster of these machines): the pull fails.
  if (present && pullPolicy !== 'Always') return { ok: true };
  if (pullPolicy === 'Never') return { ok: false, reason: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` };
  const full = qualifiedImage(image);
  return {
    ok: false,
    reason: 'ErrImagePull',
    message: `failed to pull and unpack image "${full}": failed to resolve reference "${full}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
  };
}

export function backOffMessage(image: string): string {
  return `Back-off pulling image "${image}"`;
}
