// SPEC LOG-01..05: line formatting, field order and LOG-03 encoding.
import { describe, expect, it } from 'vitest';
import { formatLogLine, logEncode, logFileName, LOG_FIELDS } from '../../src/edge/access-log.js';

describe('LOG-03 encoding', () => {
  it('encodes controls, non-ASCII and the listed characters', () => {
    expect(logEncode(' <>"#%{}|\\^~[]`\'')).toBe('%20%3C%3E%22%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60%27');
    expect(logEncode('\t\x01\x7f')).toBe('%09%01%7F');
    expect(logEncode('é')).toBe('%C3%A9');
    expect(logEncode('Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)')).toBe('Mozilla/4.0%20(compatible;%20MSIE%207.0;%20Windows%20NT%205.1)');
    expect(logEncode('a=b&c=d/x.y-z_(1),:;')).toBe('a=b&c=d/x.y-z_(1),:;');
  });
});

describe('LOG-04/05 line', () => {
  it('reproduces the guide example line field by field', () => {
    const line = formatLogLine({
      finishedAt: Date.UTC(2014, 4, 23, 1, 13, 12),
      edgeLocation: 'LAX1',
      scBytes: 2390282,
      clientIp: '192.0.2.202',
      method: 'GET',
      distributionDomain: 'd111111abcdef8.cloudfront.net',
      uriStem: '/soundtrack/happy.mp3',
      status: 304,
      referer: 'www.unknownsingers.com',
      userAgent: 'Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)',
      query: 'a=b&c=d',
      cookie: 'zip=50158',
      resultType: 'Hit',
      requestId: 'xGN7KWpVEmB9Dp7ctcVFQC4E-nrcOcEKS3QyAez--06dV7TEXAMPLE==',
      hostHeader: 'd111111abcdef8.cloudfront.net',
      protocol: 'http',
      csBytes: 0,
      timeTaken: 0.002,
    });
    expect(line).toBe(
      [
        '2014-05-23',
        '01:13:12',
        'LAX1',
        '2390282',
        '192.0.2.202',
        'GET',
        'd111111abcdef8.cloudfront.net',
        '/soundtrack/happy.mp3',
        '304',
        'www.unknownsingers.com',
        'Mozilla/4.0%20(compatible;%20MSIE%207.0;%20Windows%20NT%205.1)',
        'a=b&c=d',
        'zip=50158',
        'Hit',
        'xGN7KWpVEmB9Dp7ctcVFQC4E-nrcOcEKS3QyAez--06dV7TEXAMPLE==',
        'd111111abcdef8.cloudfront.net',
        'http',
        '0', // SPEC §9.23: an integer, not "-"
        '0.002',
      ].join('\t'),
    );
    expect(line.split('\t').length).toBe(LOG_FIELDS.length);
  });
  it('empty fields are "-", an aborted viewer is status 000', () => {
    const line = formatLogLine({
      finishedAt: 0,
      edgeLocation: 'LOC1',
      scBytes: 0,
      clientIp: '127.0.0.1',
      method: 'GET',
      distributionDomain: 'd.cloudfront.net',
      uriStem: '/x',
      status: 0,
      resultType: 'Error',
      requestId: 'id',
      protocol: 'http',
      csBytes: 40,
      timeTaken: 1.23456,
    }).split('\t');
    expect(line[8]).toBe('000');
    expect([line[9], line[10], line[11], line[12], line[15]]).toEqual(['-', '-', '-', '-', '-']);
    expect(line[18]).toBe('1.235');
  });
});

describe('LOG-01 file name', () => {
  it('<prefix/><distId>.YYYY-MM-DD-HH.<id>.gz, a / added to the prefix', () => {
    const at = Date.UTC(2014, 10, 14, 20, 5);
    expect(logFileName('myprefix', 'EMLARXS9EXAMPLE', at, 'RT4KCN4SGK9')).toBe('myprefix/EMLARXS9EXAMPLE.2014-11-14-20.RT4KCN4SGK9.gz');
    expect(logFileName('myprefix/', 'EMLARXS9EXAMPLE', at, 'RT4KCN4SGK9')).toBe('myprefix/EMLARXS9EXAMPLE.2014-11-14-20.RT4KCN4SGK9.gz');
    expect(logFileName('', 'EMLARXS9EXAMPLE', at, 'X')).toBe('EMLARXS9EXAMPLE.2014-11-14-20.X.gz');
  });
});
