// Sends a request line byte-for-byte over TCP, so that `..`, `%2e%2e`, backslashes and NUL bytes
// reach the server un-normalised (fetch and URL would clean them up first).
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export function rawRequest(port: number, target: string, method = 'GET', extraHeaders: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, end < 0 ? all.length : end).toString('latin1');
      const [statusLine, ...lines] = head.split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
      if (!m) return reject(new Error(`no HTTP response for ${JSON.stringify(target)}: ${JSON.stringify(head.slice(0, 100))}`));
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(m[1]), headers, body: end < 0 ? Buffer.alloc(0) : all.subarray(end + 4) });
    });
    const extra = Object.entries(extraHeaders)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(
      Buffer.concat([
        Buffer.from(`${method} `, 'latin1'),
        Buffer.from(target, 'latin1'),
        Buffer.from(` HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`, 'latin1'),
      ]),
    );
  });
}
