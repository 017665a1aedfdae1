// The parts of node-media-server 4.4.3 that src/ingest/nms-adapter.ts uses (FIELD-NOTES §7 N6:
// the package ships no types and @types/node-media-server describes the v2 API).
declare module 'node-media-server' {
  import type { Socket } from 'node:net';

  export interface NmsConfig {
    bind?: string;
    rtmp?: { port?: number };
    rtmps?: { port?: number; key?: string; cert?: string };
    http?: { port?: number };
    https?: { port?: number; key?: string; cert?: string };
    record?: { auto?: boolean; path?: string };
    store?: { path?: string; flushInterval?: number };
    webadmin?: { enable?: boolean };
    auth?: { play?: boolean; publish?: boolean; secret?: string };
    notify?: { url?: string };
  }

  /** One AV packet as parsed by NMS: flags 0 audio header, 2 video header, 3 key frame, 5 metadata. */
  export interface NmsAvPacket {
    codec_id: number;
    /** 8 audio, 9 video, 18 script data */
    codec_type: number;
    flags: number;
    dts: number;
    pts: number;
    size: number;
    data: Buffer;
  }

  export interface NmsBroadcast {
    streamPath: string;
    publisher: NmsSession | null;
    subscribers: Map<string, NmsSession>;
    /** 30 s by default: the late donePublish of FIELD-NOTES §7 N3. */
    publishGraceMs: number;
  }

  export interface NmsRtmpProtocol {
    onPacketCallback: (packet: NmsAvPacket) => void;
  }

  export interface NmsSession {
    id: string;
    /** `"addr:port"` */
    ip: string;
    protocol: string;
    isPublisher: boolean;
    streamHost: string;
    streamApp: string;
    streamName: string;
    streamPath: string;
    streamQuery: Record<string, string | string[] | undefined>;
    createTime: number;
    endTime: number;
    inBytes: number;
    outBytes: number;
    videoCodec: number;
    videoWidth: number;
    videoHeight: number;
    videoFramerate: number;
    videoDatarate: number;
    audioCodec: number;
    audioChannels: number;
    audioSamplerate: number;
    audioDatarate: number;
    /** RTMP sessions only. */
    socket?: Socket;
    rtmp?: NmsRtmpProtocol;
    broadcast?: NmsBroadcast;
    close(): void;
    /** Writes to the subscriber's socket (the broadcaster calls it for every message). */
    sendBuffer(buffer: Buffer): void;
  }

  export type NmsEvent = 'prePublish' | 'postPublish' | 'donePublish' | 'prePlay' | 'postPlay' | 'donePlay';

  export default class NodeMediaServer {
    constructor(config: NmsConfig, configPath?: string);
    on(event: NmsEvent, listener: (session: NmsSession) => void): void;
    run(): Promise<void>;
    stop(): Promise<void>;
  }
}
