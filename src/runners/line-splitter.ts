import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into lines across chunk boundaries (multi-byte characters included).
 * `end()` returns the last line when the stream did not finish with a newline.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  push(chunk: Buffer | string, emit: (line: string) => void): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      emit(text.slice(start, end));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.pending = text.slice(start);
  }

  end(emit: (line: string) => void): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest.length > 0) emit(rest);
  }
}
