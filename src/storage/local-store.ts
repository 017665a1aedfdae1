// An ObjectStore in a local directory (the default: the data directory). Writes go to a temp
// file renamed into place, so a reader sees a whole object or none; reads refuse any key that is
// not a plain relative path (isValidStoreKey) and open with O_NOFOLLOW.
import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isValidStoreKey, type ByteRange, type ObjectStore, type StoredObject, type StoredObjectInfo } from './object-store.js';

export class LocalStore implements ObjectStore {
  readonly #root: string;
  readonly description: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
    this.description = `dir:${this.#root}`;
  }

  #path(key: string): string {
    if (!isValidStoreKey(key)) throw new Error(`invalid store key ${JSON.stringify(key)}`);
    return path.join(this.#root, ...key.split('/'));
  }

  async put(key: string, body: Buffer): Promise<void> {
    const file = this.#path(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await fs.writeFile(tmp, body);
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async head(key: string): Promise<StoredObjectInfo | undefined> {
    if (!isValidStoreKey(key)) return undefined;
    try {
      const st = await fs.lstat(this.#path(key));
      return st.isFile() ? info(key, st.size, st.mtime) : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | undefined> {
    if (!isValidStoreKey(key)) return undefined;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.#path(key), fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      return undefined;
    }
    const body = createReadStream('', { fd: handle.fd, autoClose: true, start: range?.start, end: range?.end });
    body.on('close', () => void handle.close().catch(() => undefined));
    return { ...info(key, st.size, st.mtime), body };
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    const out: StoredObjectInfo[] = [];
    // Walk only the folder the prefix names (`a/b/c` → `a/b`), not the whole store.
    const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (dir !== '' && !isValidStoreKey(dir)) return;
    await walk(this.#root, dir, out);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const o of out) if (o.key.startsWith(prefix)) yield o;
  }

  async delete(key: string): Promise<void> {
    if (!isValidStoreKey(key)) return;
    await fs.rm(this.#path(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    for await (const o of this.list(prefix)) await this.delete(o.key);
  }
}

function info(key: string, size: number, mtime: Date): StoredObjectInfo {
  const etag = `"${createHash('sha1').update(`${key}:${size}:${mtime.getTime()}`).digest('hex').slice(0, 20)}"`;
  return { key, size, lastModified: mtime, etag };
}

async function walk(root: string, rel: string, out: StoredObjectInfo[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  for (const e of entries) {
    const key = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(root, key, out);
    else if (e.isFile() && !e.name.endsWith('.tmp')) {
      const st = await fs.lstat(path.join(root, key));
      out.push(info(key, st.size, st.mtime));
    }
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR';
}
