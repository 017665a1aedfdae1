// The field names of CloudFront's real-time logs that the edge can write. Pure data, shared by
// the configuration schema and the real-time log writer.
import { CMCD_FIELDS, type CmcdField } from './cmcd.js';

/** Field names as CloudFront's real-time log configuration spells them. */
export const REALTIME_FIELDS = [
  'timestamp',
  'c-ip',
  'c-ip-version',
  'c-port',
  'time-to-first-byte',
  'sc-status',
  'sc-bytes',
  'cs-method',
  'cs-protocol',
  'cs-host',
  'cs-uri-stem',
  'cs-bytes',
  'x-edge-location',
  'x-edge-request-id',
  'x-host-header',
  'time-taken',
  'cs-protocol-version',
  'cs-user-agent',
  'cs-referer',
  'cs-cookie',
  'cs-uri-query',
  'x-edge-response-result-type',
  'x-forwarded-for',
  'ssl-protocol',
  'ssl-cipher',
  'x-edge-result-type',
  'fle-encrypted-fields',
  'fle-status',
  'sc-content-type',
  'sc-content-len',
  'sc-range-start',
  'sc-range-end',
  'x-edge-detailed-result-type',
  'cs-accept-encoding',
  'cs-accept',
  'cs-headers-count',
  'primary-distribution-id',
  'primary-distribution-dns-name',
  ...(Object.values(CMCD_FIELDS) as CmcdField[]),
] as const;

export type RealtimeField = (typeof REALTIME_FIELDS)[number];

/** The default field list: who, what, how it went, and the player's own CMCD report. */
export const DEFAULT_REALTIME_FIELDS: RealtimeField[] = [
  'timestamp',
  'c-ip',
  'cs-method',
  'cs-uri-stem',
  'sc-status',
  'sc-bytes',
  'x-edge-result-type',
  'time-to-first-byte',
  'time-taken',
  'x-edge-request-id',
  'cmcd-session-id',
  'cmcd-object-type',
  'cmcd-encoded-bitrate',
  'cmcd-buffer-length',
  'cmcd-buffer-starvation',
  'cmcd-measured-throughput',
];
