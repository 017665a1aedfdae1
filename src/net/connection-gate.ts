// Caps on open connections, in total and per client address, for any net.Server (RTMP, HTTP):
// one client must not be able to exhaust the process's file descriptors or memory.
import type net from 'node:net';
import { fail, ok, type Result } from '../result.js';
import { normalizeAddress } from './address.js';

export interface ConnectionLimits {
  /** Open connections in total; 0 = no cap. */
  maxConnections: number;
  /** Open connections from one address (canonical form, see normalizeAddress); 0 = no cap. */
  maxPerAddress: number;
}

/** Counts open connections; pure bookkeeping, no I/O. Addresses are normalised, so spellings of one peer share a count. */
export class ConnectionGate {
  readonly #limits: ConnectionLimits;
  readonly #perAddress = new Map<string, number>();
  #open = 0;

  constructor(limits: ConnectionLimits) {
    for (const [k, v] of Object.entries(limits)) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`ConnectionGate: ${k} must be a whole number ≥ 0 (0 = no cap), got ${v}`);
    }
    this.#limits = { ...limits };
  }

  /** Counts the connection and returns ok, or refuses it (and counts nothing) with the cap it would exceed. */
  admit(address: string): Result<undefined, 'total' | 'per-address'> {
    const addr = normalizeAddress(address);
    const { maxConnections, maxPerAddress } = this.#limits;
    if (maxConnections > 0 && this.#open >= maxConnections) return fail(`${this.#open} connections open (cap ${maxConnections})`, 'total');
    const from = this.#perAddress.get(addr) ?? 0;
    if (maxPerAddress > 0 && from >= maxPerAddress)
      return fail(`${from} connections open from ${addr || 'an unknown address'} (cap ${maxPerAddress})`, 'per-address');
    this.#open++;
    this.#perAddress.set(addr, from + 1);
    return ok();
  }

  /** Uncounts one admitted connection from `address`; a release without an admit changes nothing. */
  release(address: string): void {
    const addr = normalizeAddress(address);
    const from = this.#perAddress.get(addr);
    if (from === undefined) return;
    if (from <= 1) this.#perAddress.delete(addr);
    else this.#perAddress.set(addr, from - 1);
    this.#open--;
  }

  get open(): number {
    return this.#open;
  }

  openFrom(address: string): number {
    return this.#perAddress.get(normalizeAddress(address)) ?? 0;
  }
}

/**
 * Count every connection of `server`; one over the limits is destroyed at once (onRefused is told why).
 * The server's 'connection' listeners registered before this call (an http.Server's parser, an RTMP
 * library's session factory) never see a refused socket, so they allocate nothing for it; listeners
 * added later see it already destroyed.
 */
export function gateServer(server: net.Server, gate: ConnectionGate, onRefused?: (address: string, reason: string) => void): void {
  const inner = server.listeners('connection') as ((socket: net.Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: net.Socket) => {
    const address = normalizeAddress(socket.remoteAddress);
    const verdict = gate.admit(address);
    if (!verdict.ok) {
      socket.destroy();
      onRefused?.(address, verdict.reason);
      return;
    }
    let released = false;
    socket.once('close', () => {
      if (released) return;
      released = true;
      gate.release(address);
    });
    for (const listener of inner) listener.call(server, socket);
  });
}
