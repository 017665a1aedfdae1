// The lines a person reads when streamfront starts or cannot start. Pure: the CLI decides where
// they go (stdout beside pretty logs; stderr when stdout carries JSON lines for a machine).
import { loopbackFor } from './config/index.js';

/** The host name printed in URLs for people: `localhost` for a wildcard bind. */
export function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : loopbackFor(host);
}

export interface ReadyFacts {
  host: string;
  /** Listening ports; 0 for a role that is not running. */
  ports: { rtmp: number; origin: number; edge: number };
  /** Publishing needs `?key=` (a publish secret is set). */
  publishKeyRequired: boolean;
}

/** The player page for a stream: through the edge when it runs, else on the origin. */
export function playerUrl(facts: ReadyFacts, stream: string): string | undefined {
  const port = facts.ports.edge || facts.ports.origin;
  return port ? `http://${displayHost(facts.host)}:${port}/?stream=${stream}` : undefined;
}

/** One line: where to publish and where to watch, for the roles that run. */
export function readyLine(facts: ReadyFacts): string {
  const host = displayHost(facts.host);
  const parts: string[] = [];
  if (facts.ports.rtmp) {
    const key = facts.publishKeyRequired ? '?key=<key from `streamfront publish-key`>' : '';
    parts.push(`Publish: rtmp://${host}:${facts.ports.rtmp}/live/<stream>${key}`);
  }
  const player = playerUrl(facts, 'live/<stream>');
  if (player) parts.push(`Open the player: ${player}`);
  return `streamfront is ready. ${parts.join('  ')}`;
}

/** The demo's one line (the e2e player test reads the URL after "Open the player:"). */
export function demoLine(facts: ReadyFacts): string {
  return `Demo stream live/demo is starting. Open the player: ${playerUrl(facts, 'live/demo')}`;
}

/** The one message for a listener whose port is taken, the same for RTMP, origin and edge. */
export function portInUseMessage(what: string, host: string, port: number): string {
  return `${what} port ${host}:${port} is already in use`;
}
