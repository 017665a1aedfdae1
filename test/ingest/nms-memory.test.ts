// NMS builds an FLV parser with a 1 MiB buffer for every RTMP connection and never uses it for
// RTMP; the adapter loads NMS with one that starts empty (src/ingest/nms-adapter.ts). This checks
// the swap took effect on this NMS version, and that the FLV parser still parses when grown.
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import '../../src/ingest/nms-adapter.js';

const require = createRequire(import.meta.url);

it('a new RTMP protocol object holds no 1 MiB FLV buffer', () => {
  const Rtmp = require('node-media-server/src/protocol/rtmp.js') as new () => { flv: { parserTagCapacity: number; parserTagData: Buffer } };
  const r = new Rtmp();
  expect(r.flv.parserTagCapacity).toBe(0);
  expect(r.flv.parserTagData.length).toBe(0);
});

it('the FLV class keeps its statics and its parser grows to the first tag', () => {
  const Flv = require('node-media-server/src/protocol/flv.js') as {
    new (): { parserData(b: Buffer): string | null; onPacketCallback: (p: { codec_type: number; size: number }) => void };
    createHeader(a: boolean, v: boolean): Buffer;
  };
  expect(Flv.createHeader(true, true).subarray(0, 3).toString()).toBe('FLV');
  const f = new Flv();
  const got: Array<{ codec_type: number; size: number }> = [];
  f.onPacketCallback = (p) => got.push(p);
  const body = Buffer.from([0xaf, 0x00, 0x12, 0x10]); // AAC sequence header, 44.1 kHz stereo
  const tag = Buffer.alloc(11 + body.length + 4);
  tag[0] = 8;
  tag.writeUIntBE(body.length, 1, 3);
  body.copy(tag, 11);
  tag.writeUInt32BE(11 + body.length, 11 + body.length);
  expect(f.parserData(Buffer.concat([Flv.createHeader(true, false), tag]))).toBeNull();
  expect(got).toMatchObject([{ codec_type: 8, size: 4 }]);
});
