// An ObjectStore in a local directory (the default: the data directory). Writes go to a temp
// file that is flushed to disk and renamed into place, so a reader sees a whole object or none.
// Every key is a plain relative path (isValidStoreKey), and no component of its path may be a
// symlink: a link planted inside the store (to /etc, to another stream) is never followed by a
// read, a write, a listing or a delete. The last component is opened with O_NOFOLLOW as well, so
// a link swapped in between the check and the open is refused too.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, type Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  isValidStoreKey,
  type ByteRange,
  type ListOptions,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
  type StoredObjectInfo,
} from './object-store.js';

/** `<name>.<pid>.<random>.tmp`: what a put in progress (or a crash during one) leaves. */
const TEMP_RE = /\.\d+\.[0-9a-f]{12}\.tmp$/;

export class LocalStore implements ObjectStore {
  readonly #root: string;
  readonly description: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
    this.description = `dir:${this.#root}`;
  }

  #path(key: string): string {
    if (!isValidStoreKey(key) || TEMP_RE.test(key)) throw new Error(`invalid store key ${JSON.stringify(key)}`);
    return path.join(this.#root, ...key.split('/'));
  }

  /**
   * True when every folder between the root and the key's file is a real directory (or not there
   * yet, with `allowMissing`); false when one is a symlink or a file.
   */
  async #foldersAreReal(key: string, allowMissing: boolean): Promise<boolean> {
    const parts = key.split('/').slice(0, -1);
    let dir = this.#root;
    for (const p of parts) {
      dir = path.join(dir, p);
      try {
        const st = await fs.lstat(dir);
        if (!st.isDirectory()) return false;
      } catch (err) {
        if (isMissing(err)) return allowMissing;
        throw err;
      }
    }
    return true;
  }

  /** Creates the key's folders one by one, never through a symlink. */
  async #makeFolders(key: string): Promise<void> {
    const parts = key.split('/').slice(0, -1);
    let dir = this.#root;
    await fs.mkdir(dir, { recursive: true });
    for (const p of parts) {
      dir = path.join(dir, p);
      await fs.mkdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      const st = await fs.lstat(dir);
      if (!st.isDirectory())
        throw new Error(`store folder ${JSON.stringify(path.relative(this.#root, dir))} is not a directory (a symlink?)`);
    }
  }

  // A directory keeps no content type or cache policy: the origin derives both from the name.
  async put(key: string, body: Buffer, _contentType?: string, _options?: PutOptions): Promise<void> {
    await this.#writeAtomic(key, async (handle) => {
      await handle.writeFile(body);
    });
  }

  /**
   * On the same filesystem the file is hard-linked in (no copy of a recording's gigabytes), so the
   * caller must not change it afterwards; elsewhere it is copied.
   */
  async putFile(key: string, file: string, _contentType?: string, _options?: PutOptions): Promise<void> {
    const dest = this.#path(key);
    await this.#makeFolders(key);
    const tmp = tempName(dest);
    const linked = await fs.link(file, tmp).then(
      () => true,
      () => false,
    );
    if (linked) {
      try {
        const handle = await fs.open(tmp, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
        try {
          if (!(await handle.stat()).isFile()) throw new Error(`${file} is not a regular file`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.rename(tmp, dest);
        return;
      } catch (err) {
        await fs.rm(tmp, { force: true });
        throw err;
      }
    }
    await this.#writeAtomic(key, async (handle) => {
      const src = await fs.open(file, fsConstants.O_RDONLY);
      try {
        const buf = Buffer.allocUnsafe(1024 * 1024);
        for (;;) {
          const { bytesRead } = await src.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          await handle.write(buf, 0, bytesRead);
        }
      } finally {
        await src.close();
      }
    });
  }

  async #writeAtomic(key: string, write: (handle: fs.FileHandle) => Promise<void>): Promise<void> {
    const file = this.#path(key);
    await this.#makeFolders(key);
    const tmp = tempName(file);
    try {
      // O_EXCL | O_NOFOLLOW: a file or link already at the temp name is never written through.
      const handle = await fs.open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o644);
      try {
        await write(handle);
        await handle.sync(); // durable before it becomes visible
      } finally {
        await handle.close();
      }
      // rename replaces a symlink at the key itself, never its target.
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async head(key: string): Promise<StoredObjectInfo | undefined> {
    if (!isValidStoreKey(key) || TEMP_RE.test(key) || !(await this.#foldersAreReal(key, false))) return undefined;
    try {
      const st = await fs.lstat(this.#path(key));
      return st.isFile() ? info(key, st.size, st.mtime) : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | undefined> {
    if (!isValidStoreKey(key) || TEMP_RE.test(key) || !(await this.#foldersAreReal(key, false))) return undefined;
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
    const body = handle.createReadStream({ autoClose: true, start: range?.start, end: range?.end });
    return { ...info(key, st.size, st.mtime), body };
  }

  async *list(prefix: string, opts: ListOptions = {}): AsyncIterable<StoredObjectInfo> {
    const out: StoredObjectInfo[] = [];
    // Walk only the folder the prefix names (`a/b/c` → `a/b`), not the whole store.
    const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (dir !== '' && (!isValidStoreKey(dir) || !(await this.#foldersAreReal(`${dir}/x`, false)))) return;
    await walk(this.#root, dir, out);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const after = opts.startAfter;
    for (const o of out) if (o.key.startsWith(prefix) && (after === undefined || o.key > after)) yield o;
  }

  async delete(key: string): Promise<void> {
    if (!isValidStoreKey(key) || TEMP_RE.test(key) || !(await this.#foldersAreReal(key, false))) return;
    const file = this.#path(key);
    const st = await fs.lstat(file).catch(() => undefined);
    // A directory is no object; a symlink at the key is removed as the link it is.
    if (st && !st.isDirectory()) await fs.rm(file, { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    for await (const o of this.list(prefix)) await this.delete(o.key);
    // Folders the prefix emptied go too (a deleted recording leaves no empty tree behind).
    const dir = prefix.endsWith('/') ? prefix.slice(0, -1) : '';
    if (dir !== '' && isValidStoreKey(dir) && (await this.#foldersAreReal(`${dir}/x`, false))) {
      await removeEmptyFolders(path.join(this.#root, ...dir.split('/')));
    }
  }
}

function tempName(file: string): string {
  return `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

function info(key: string, size: number, mtime: Date): StoredObjectInfo {
  const etag = `"${createHash('sha1').update(`${key}:${size}:${mtime.getTime()}`).digest('hex').slice(0, 20)}"`;
  return { key, size, lastModified: mtime, etag };
}

async function walk(root: string, rel: string, out: StoredObjectInfo[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  for (const e of entries) {
    const key = rel ? `${rel}/${e.name}` : e.name;
    // Dirent types come from lstat: a symlink is neither a directory nor a file here.
    if (e.isDirectory()) await walk(root, key, out);
    else if (e.isFile() && !TEMP_RE.test(e.name) && isValidStoreKey(key)) {
      const st = await fs.lstat(path.join(root, key)).catch(() => undefined);
      if (st?.isFile()) out.push(info(key, st.size, st.mtime));
    }
  }
}

/** Removes `dir` and the folders below it that hold nothing; returns whether `dir` went. */
async function removeEmptyFolders(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => null);
  if (entries === null) return false;
  let left = entries.length;
  for (const e of entries) if (e.isDirectory() && (await removeEmptyFolders(path.join(dir, e.name)))) left--;
  if (left > 0) return false;
  return fs.rmdir(dir).then(
    () => true,
    () => false,
  );
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR';
}
