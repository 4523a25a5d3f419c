/**
 * multipart/form-data bodies through busboy: text fields into a map, files streamed to a private
 * folder under the size limit. Whatever goes wrong leaves no file behind.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { apiError, tooLarge } from './http.ts';

export interface UploadedFile {
  field: string;
  fileName: string;
  path: string;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: UploadedFile[];
  /** Removes the uploaded files' folder. */
  dispose(): Promise<void>;
}

export interface MultipartLimits {
  fileBytes: number;
  fieldBytes: number;
  files: number;
  fields: number;
}

export async function readMultipart(request: IncomingMessage, uploadRoot: string, limits: MultipartLimits): Promise<MultipartBody> {
  const dir = await mkdtemp(join(uploadRoot, 'upload-'));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  const writes: Promise<void>[] = [];
  try {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: { fileSize: limits.fileBytes, fieldSize: limits.fieldBytes, files: limits.files, fields: limits.fields } });
    } catch (error) {
      throw apiError('REQUEST_INVALID', `the multipart body cannot be read: ${(error as Error).message}`);
    }
    let failure: Error | undefined;
    let finish: () => void = () => {};
    // The first problem answers at once; the rest of the body is not waited for.
    const fail = (error: Error): void => {
      failure ??= error;
      request.unpipe(parser);
      finish();
    };
    await new Promise<void>((resolve, reject) => {
      finish = resolve;
      parser.on('field', (name, value, info) => {
        if (info.valueTruncated) fail(apiError('BODY_TOO_LARGE', `the form field '${name}' exceeds ${limits.fieldBytes} bytes`));
        else fields[name] = value;
      });
      parser.on('file', (name, stream, info) => {
        const fileName = basename(info.filename || name).replace(/^\.+$/, 'file') || 'file';
        const folder = join(dir, String(files.length));
        const path = join(folder, fileName);
        files.push({ field: name, fileName, path });
        stream.on('limit', () => fail(tooLarge(limits.fileBytes)));
        writes.push(mkdir(folder).then(() => pipeline(stream, createWriteStream(path))));
      });
      parser.on('filesLimit', () => fail(apiError('BODY_TOO_LARGE', `at most ${limits.files} files per request`)));
      parser.on('fieldsLimit', () => fail(apiError('BODY_TOO_LARGE', `at most ${limits.fields} form fields per request`)));
      parser.on('error', (error: Error) => {
        fail(apiError('REQUEST_INVALID', `the multipart body cannot be read: ${error.message}`));
        resolve();
      });
      parser.on('close', () => resolve());
      request.on('aborted', () => reject(apiError('REQUEST_INVALID', 'the client closed the request')));
      request.pipe(parser);
    });
    if (failure) throw failure;
    await Promise.all(writes);
    return { fields, files, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
