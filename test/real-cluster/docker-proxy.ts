/**
 * A pass-through proxy of the Docker Engine API between cri-dockerd and dockerd (TEST
 * INFRASTRUCTURE). It changes one thing: a container's negative `HostConfig.OomScoreAdj` becomes 0.
 *
 * Why: root on these build machines lacks CAP_SYS_RESOURCE, so the kernel refuses a negative
 * oom_score_adj, and runc fails every such container with "can't get final child's PID from pipe".
 * cri-dockerd gives every pod sandbox -998 and the kubelet gives Guaranteed containers -997. Only
 * the OOM killer's preference changes; every other request and stream (attach, exec, logs) passes
 * through byte for byte, hijacked connections included.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

const CREATE_CONTAINER = /^(\/v[\d.]+)?\/containers\/create(\?|$)/;

export interface DockerProxy {
  socketPath: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The create body with a negative oom_score_adj raised to 0, or undefined when it needs no change. */
export function clampOomScore(body: Buffer): Buffer | undefined {
  const spec = JSON.parse(body.toString('utf8')) as { HostConfig?: { OomScoreAdj?: number } };
  if ((spec.HostConfig?.OomScoreAdj ?? 0) >= 0) return undefined;
  spec.HostConfig!.OomScoreAdj = 0;
  return Buffer.from(JSON.stringify(spec));
}

export async function startDockerProxy(socketPath: string, dockerSocket = '/var/run/docker.sock'): Promise<DockerProxy> {
  const server: Server = createServer(async (req, res) => {
    let body = await readBody(req);
    const headers = { ...req.headers };
    if (req.method === 'POST' && CREATE_CONTAINER.test(req.url ?? '') && body.length) {
      const changed = clampOomScore(body);
      if (changed) {
        body = changed;
        headers['content-length'] = String(body.length);
        delete headers['transfer-encoding'];
      }
    }
    const upstream = request({ socketPath: dockerSocket, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `docker proxy: ${error.message}` }));
    });
    upstream.end(body);
  });
  // Attach and exec start upgrade the connection to a raw stream: replay the request upstream and
  // splice the two sockets together.
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const upstream = connect(dockerSocket, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const end = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', end);
    client.on('error', end);
    upstream.on('close', end);
    client.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return {
    socketPath,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
