/**
 * The real `yaml-language-server` (npm) as an editor would run it: a child process speaking LSP
 * over stdio, configured with one JSON Schema for every `*.yaml` document. TEST INFRASTRUCTURE.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CompletionRequest, ConfigurationRequest, createProtocolConnection, DidChangeConfigurationNotification, DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification, ExitNotification, HoverRequest, InitializedNotification, InitializeRequest,
  PublishDiagnosticsNotification, ShutdownRequest, StreamMessageReader, StreamMessageWriter,
  type CompletionItem, type CompletionList, type Diagnostic, type Hover, type MarkupContent, type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { REPO_ROOT } from './harrier.ts';

const SERVER = join(REPO_ROOT, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');

export interface Position {
  /** 0-based, as LSP counts. */
  line: number;
  character: number;
}

export class YamlLanguageServer {
  private readonly child: ChildProcess;
  private readonly connection: ProtocolConnection;
  private readonly diagnostics = new Map<string, (diagnostics: Diagnostic[]) => void>();
  private version = 0;
  /** Resolves once the server pulled its settings: documents opened before would go unchecked. */
  private readonly configured: Promise<void>;
  stderr = '';

  private constructor(child: ChildProcess, settings: Record<string, unknown>) {
    this.child = child;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, ({ uri, diagnostics }) => this.diagnostics.get(uri)?.(diagnostics));
    // The server pulls its settings (`yaml`, `http`, `[yaml]`, `editor`) rather than taking pushed ones.
    let pulled: () => void = () => undefined;
    this.configured = new Promise((resolve) => (pulled = resolve));
    this.connection.onRequest(ConfigurationRequest.type, ({ items }) => {
      setImmediate(pulled);
      return items.map((item) => settings[item.section ?? ''] ?? null);
    });
    this.connection.listen();
  }

  /** Starts the server and points it at the schema file for every YAML document. */
  static async start(schemaPath: string): Promise<YamlLanguageServer> {
    const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const server = new YamlLanguageServer(child, {
      yaml: {
        validate: true, hover: true, completion: true, schemaStore: { enable: false },
        schemas: { [pathToFileURL(schemaPath).href]: '**/*.yaml' },
      },
      http: {},
    });
    await server.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: null,
      capabilities: {
        workspace: { configuration: true },
        textDocument: {
          completion: { completionItem: { snippetSupport: false, documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: {},
        },
      },
    });
    await server.connection.sendNotification(InitializedNotification.type, {});
    // Tells the server to pull the settings above.
    await server.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    await server.configured;
    return server;
  }

  /** Opens a document and resolves with the server's first diagnostics for it. */
  async open(name: string, text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
    const uri = pathToFileURL(join('/harrier-lsp-test', `${++this.version}`, name)).href;
    const published = new Promise<Diagnostic[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${name} within 30 s; server stderr:\n${this.stderr}`)), 30_000);
      this.diagnostics.set(uri, (diagnostics) => {
        clearTimeout(timer);
        this.diagnostics.delete(uri);
        resolve(diagnostics);
      });
    });
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    return { uri, diagnostics: await published };
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  async completion(uri: string, position: Position): Promise<CompletionItem[]> {
    const answer = await this.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
    if (!answer) return [];
    return Array.isArray(answer) ? answer : (answer as CompletionList).items;
  }

  /** The hover text at a position, as plain text ('' when there is none). */
  async hover(uri: string, position: Position): Promise<string> {
    const answer: Hover | null = await this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
    if (!answer) return '';
    const contents = answer.contents;
    if (typeof contents === 'string') return contents;
    if (Array.isArray(contents)) return contents.map((part) => (typeof part === 'string' ? part : part.value)).join('\n');
    return (contents as MarkupContent).value;
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    } finally {
      this.connection.dispose();
      if (this.child.exitCode === null) this.child.kill();
    }
  }
}

/** The 0-based position of the first `needle` in `text`, at its `offset`-th character. */
export function positionOf(text: string, needle: string, offset = 0): Position {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`'${needle}' is not in the document`);
  const before = text.slice(0, index + offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}
