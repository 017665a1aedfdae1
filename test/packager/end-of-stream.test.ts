// What a packager trailer writes that tells players a stream ended (withdrawn by the supervisor
// when ffmpeg stops while the publisher is still live), from a table of real manifest shapes.
import { describe, expect, it } from 'vitest';
import { endOfStreamMarks } from '../../src/packager/supervisor.js';

const LIVE_M3U8 = '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:4\n#EXTINF:2.000000,\nseg_00004.ts\n';
const LIVE_F4M =
  '<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns="http://ns.adobe.com/f4m/1.0">\n\t<id>hds</id>\n\t<streamType>live</streamType>\n\t<bootstrapInfo profile="named" url="stream0.abst" id="bootstrap0" />\n</manifest>\n';
const FINAL_F4M = LIVE_F4M.replace('<streamType>live</streamType>', '<streamType>recorded</streamType>\n\t<duration>20.000000</duration>');
const LIVE_ISM =
  '<?xml version="1.0" encoding="utf-8"?>\n<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="0" IsLive="true" LookAheadFragmentCount="2" DVRWindowLength="0">\n<c t="670000" d="20000000" />\n</SmoothStreamingMedia>\n';
const FINAL_ISM =
  '<?xml version="1.0" encoding="utf-8"?>\n<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="200000000">\n<c n="0" d="20000000" />\n</SmoothStreamingMedia>\n';

describe('endOfStreamMarks (table)', () => {
  const rows: Array<[string, Parameters<typeof endOfStreamMarks>[0], ReturnType<typeof endOfStreamMarks>]> = [
    [
      'live manifests',
      { hlsPlaylist: LIVE_M3U8, hdsManifest: LIVE_F4M, smoothManifest: LIVE_ISM },
      { hls: false, hds: false, smooth: false },
    ],
    ['ended HLS playlist', { hlsPlaylist: `${LIVE_M3U8}#EXT-X-ENDLIST\n` }, { hls: true, hds: false, smooth: false }],
    [
      'ENDLIST with CRLF line ends',
      { hlsPlaylist: `${LIVE_M3U8.replace(/\n/g, '\r\n')}#EXT-X-ENDLIST\r\n` },
      { hls: true, hds: false, smooth: false },
    ],
    [
      'a tag that only contains the word is not an end',
      { hlsPlaylist: `${LIVE_M3U8}#EXT-X-X-ENDLIST-LIKE\n` },
      { hls: false, hds: false, smooth: false },
    ],
    ['recorded HDS manifest', { hdsManifest: FINAL_F4M }, { hls: false, hds: true, smooth: false }],
    ['final Smooth manifest', { smoothManifest: FINAL_ISM }, { hls: false, hds: false, smooth: true }],
    [
      'IsLive in another case',
      { smoothManifest: LIVE_ISM.replace('IsLive="true"', 'IsLive="TRUE"') },
      { hls: false, hds: false, smooth: false },
    ],
    [
      'all three ended',
      { hlsPlaylist: `${LIVE_M3U8}#EXT-X-ENDLIST\n`, hdsManifest: FINAL_F4M, smoothManifest: FINAL_ISM },
      { hls: true, hds: true, smooth: true },
    ],
    [
      'missing or empty files are not ends',
      { hlsPlaylist: null, hdsManifest: '', smoothManifest: undefined },
      { hls: false, hds: false, smooth: false },
    ],
    [
      'text that is not a manifest is left alone',
      { hdsManifest: 'garbage', smoothManifest: 'garbage' },
      { hls: false, hds: false, smooth: false },
    ],
  ];
  for (const [what, files, want] of rows) it(what, () => expect(endOfStreamMarks(files)).toEqual(want));
});
