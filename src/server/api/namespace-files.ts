/** Kestra's namespace files: upload one (multipart `fileContent`), list a folder, download one. */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { namespaceFolder } from '../../shared/host-paths.ts';
import { apiError, mediaType, sendJson, type Request, type Router } from '../http.ts';
import { readMultipart } from '../multipart.ts';
import type { ApiContext } from './context.ts';

/** The host path of `?path=` inside the namespace's folder, never outside it. */
function fileIn(ctx: ApiContext, request: Request, required: boolean): { root: string; path: string; shown: string } {
  const root = namespaceFolder(ctx.engine.namespaceFilesRoot, request.params.namespace);
  const shown = request.query.get('path') ?? '';
  if (required && shown.replace(/\//g, '') === '') throw apiError('REQUEST_INVALID', 'query parameter \'path\' must name a file, e.g. path=/scripts/main.py');
  const path = resolve(root, `.${shown.startsWith('/') ? shown : `/${shown}`}`);
  const inside = relative(root, path);
  if (inside.startsWith('..') || isAbsolute(inside) || shown.includes('\0')) throw apiError('REQUEST_INVALID', `path '${shown}' leaves the namespace's files`);
  return { root, path, shown };
}

export function namespaceFileRoutes(router: Router, ctx: ApiContext): void {
  router.add('POST', '/api/v1/namespaces/{namespace}/files', 'Upload a namespace file (multipart part fileContent, path=...)', async (request, response) => {
    const { path } = fileIn(ctx, request, true);
    if (mediaType(request.raw) !== 'multipart/form-data') throw apiError('UNSUPPORTED_MEDIA_TYPE', 'a namespace file is uploaded as multipart/form-data with a part named fileContent');
    const body = await readMultipart(request.raw, join(ctx.stateDir, 'uploads'), { fileBytes: ctx.limits.uploadBytes, fieldBytes: 1024, files: 1, fields: 10 });
    try {
      const file = body.files.find((part) => part.field === 'fileContent');
      if (!file) throw apiError('REQUEST_INVALID', 'the multipart body has no file part named fileContent');
      await mkdir(dirname(path), { recursive: true });
      await copyFile(file.path, path);
    } finally {
      await body.dispose();
    }
    response.writeHead(204).end();
  });

  router.add('GET', '/api/v1/namespaces/{namespace}/files/directory', 'List a folder of namespace files (path=...)', async (request, response) => {
    const { path } = fileIn(ctx, request, false);
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch {
      sendJson(response, 200, []);
      return;
    }
    const listed = await Promise.all(entries.filter((entry) => entry.isFile() || entry.isDirectory()).map(async (entry) => ({
      type: entry.isDirectory() ? 'Directory' : 'File',
      fileName: entry.name,
      size: entry.isFile() ? (await stat(join(path, entry.name))).size : 0,
    })));
    sendJson(response, 200, listed.sort((a, b) => a.fileName.localeCompare(b.fileName)));
  });

  router.add('GET', '/api/v1/namespaces/{namespace}/files', 'Download a namespace file (path=...)', async (request, response) => {
    const { path, shown } = fileIn(ctx, request, true);
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      throw apiError('NOT_FOUND', `namespace ${request.params.namespace} has no file ${shown}`);
    }
    response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
    await new Promise<void>((done, reject) => createReadStream(path).on('error', reject).pipe(response).on('finish', done).on('close', done));
  });
}
