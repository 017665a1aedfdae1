import { describe, expect, it } from 'vitest';
import {
  rewriteF4mManifest,
  rewriteHlsPlaylist,
  rewriteSmoothManifest,
  smoothIndexesWithoutStart,
} from '../../src/origin/manifest-rewrite.js';
import { highestListedSegment, isSegmentReady } from '../../src/origin/hls-readiness.js';
import { hlsSegmentNumber } from '../../src/timeline/output-layout.js';

// Exactly as ffmpeg 5.1 writes them (FIELD-NOTES §4, and a run of the test command in this repo).
const M3U8 = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-INDEPENDENT-SEGMENTS
#EXTINF:2.000000,
seg_00001.ts
#EXTINF:2.000000,
seg_00002.ts
#EXTINF:1.920000,
seg_00003.ts
#EXT-X-ENDLIST
`;

const F4M = `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns="http://ns.adobe.com/f4m/1.0">
\t<id>hds</id>
\t<streamType>live</streamType>
\t<deliveryType>streaming</deliveryType>
\t<bootstrapInfo profile="named" url="stream0.abst" id="bootstrap0" />
\t<media bitrate="364" url="stream0" bootstrapInfoId="bootstrap0">
\t\t<metadata>AgAKb25NZXRhRGF0YQgAAAAMAAhkdXJhdGlvbgAAAAAAAAAAAAAF</metadata>
\t</media>
</manifest>
`;

describe('HLS playlist rewriting', () => {
  it('leaves the Wowza/IIS playlist as written (segments beside it)', () => {
    expect(rewriteHlsPlaylist(M3U8, '')).toBe(M3U8);
  });

  it('puts livepkgr segments below <stream>/ and touches nothing else', () => {
    const out = rewriteHlsPlaylist(M3U8, 'livestream/');
    expect(out.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'livestream/seg_00001.ts',
      'livestream/seg_00002.ts',
      'livestream/seg_00003.ts',
    ]);
    expect(out.split('\n').filter((l) => l.startsWith('#'))).toEqual(M3U8.split('\n').filter((l) => l.startsWith('#')));
  });

  it('never leaks an absolute disk path and rewrites URI attributes', () => {
    const text = '#EXTM3U\r\n#EXT-X-MAP:URI="/data/streams/live/x/hls/init.mp4"\r\n#EXTINF:2,\r\n/data/streams/live/x/hls/seg_00009.ts\r\n';
    expect(rewriteHlsPlaylist(text, 'x/')).toBe('#EXTM3U\r\n#EXT-X-MAP:URI="x/init.mp4"\r\n#EXTINF:2,\r\nx/seg_00009.ts\r\n');
  });
});

describe('f4m rewriting (SPEC ORIGIN-01 .bootstrap)', () => {
  it('references the served .bootstrap name', () => {
    const out = rewriteF4mManifest(F4M, '');
    expect(out).toContain('<bootstrapInfo profile="named" url="stream0.bootstrap" id="bootstrap0" />');
    expect(out).toContain('<media bitrate="364" url="stream0" bootstrapInfoId="bootstrap0">');
    expect(out).not.toContain('.abst');
    expect(out.replace('stream0.bootstrap', 'stream0.abst')).toBe(F4M);
  });

  it('prefixes bootstrap and media URLs for livepkgr', () => {
    const out = rewriteF4mManifest(F4M, 'livestream/');
    expect(out).toContain('url="livestream/stream0.bootstrap"');
    expect(out).toContain('url="livestream/stream0"');
    expect(out).toContain('<metadata>AgAKb25NZXRhRGF0YQgAAAAMAAhkdXJhdGlvbgAAAAAAAAAAAAAF</metadata>');
  });
});

// ffmpeg 5.1's final Smooth manifest when no fragment left the window (as written by the fixture).
const FINAL_ISM = `<?xml version="1.0" encoding="utf-8"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="60586666">
<StreamIndex Type="video" QualityLevels="1" Chunks="2" Url="QualityLevels({bitrate})/Fragments(video={start time})">
<QualityLevel Index="0" Bitrate="300000" FourCC="H264" MaxWidth="320" MaxHeight="180" CodecPrivateData="0000" />
<c n="0" d="10000000" />
<c n="1" d="10000000" />
</StreamIndex>
<StreamIndex Type="audio" QualityLevels="1" Chunks="2" Url="QualityLevels({bitrate})/Fragments(audio={start time})">
<QualityLevel Index="0" Bitrate="64000" FourCC="AACL" SamplingRate="48000" Channels="2" BitsPerSample="16" PacketSize="4" AudioTag="255" CodecPrivateData="119056e500" />
<c n="0" d="10239999" />
<c n="1" d="10026667" />
</StreamIndex>
</SmoothStreamingMedia>
`;

describe('Smooth manifest', () => {
  it('is served as written when chunks carry t=: its Url template is relative to the stream base', () => {
    const live = FINAL_ISM.replace('<c n="0"', '<c t="213333"').replace('<c n="0"', '<c t="0"');
    expect(smoothIndexesWithoutStart(live)).toEqual([]);
    expect(rewriteSmoothManifest(live, () => 1)).toBe(live);
  });

  it('gives a final manifest without t= the real start of its first fragment (FIELD-NOTES §4c)', () => {
    expect(smoothIndexesWithoutStart(FINAL_ISM)).toEqual([
      { type: 'video', bitrate: '300000' },
      { type: 'audio', bitrate: '64000' },
    ]);
    const out = rewriteSmoothManifest(FINAL_ISM, (type, bitrate) =>
      type === 'video' && bitrate === '300000' ? 213333 : type === 'audio' ? 0 : undefined,
    );
    expect(out).toContain('<c t="213333" n="0" d="10000000" />\n<c n="1" d="10000000" />');
    expect(out).toContain('<c t="0" n="0" d="10239999" />\n<c n="1" d="10026667" />');
    expect(out.replace(' t="213333"', '').replace(' t="0"', '')).toBe(FINAL_ISM);
    // Unknown start (no fragment on disk): left alone rather than guessed.
    expect(rewriteSmoothManifest(FINAL_ISM, () => undefined)).toBe(FINAL_ISM);
  });
});

describe('HLS segment readiness (a segment being written is never served)', () => {
  const live = M3U8.replace('#EXT-X-ENDLIST\n', '');
  it('reads segment numbers', () => {
    expect(hlsSegmentNumber('seg_00042.ts')).toBe(42);
    expect(hlsSegmentNumber('seg_42.tsx')).toBeUndefined();
    expect(highestListedSegment(live)).toBe(3);
    expect(highestListedSegment('#EXTM3U\n')).toBe(-1);
  });
  it('serves listed and older segments, not the one being written', () => {
    expect(isSegmentReady(live, 'seg_00000.ts')).toBe(true); // behind the window, still on disk
    expect(isSegmentReady(live, 'seg_00003.ts')).toBe(true);
    expect(isSegmentReady(live, 'seg_00004.ts')).toBe(false);
    expect(isSegmentReady('#EXTM3U\n', 'seg_00000.ts')).toBe(false);
  });
});
