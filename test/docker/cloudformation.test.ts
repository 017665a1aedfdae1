// docker/cloudformation.yaml, in the spirit of SPEC 2.1's stack: parameters, a security group that
// opens 1935 and 80 only, user data that installs Docker and runs the compose file, and outputs
// like the tutorial's AMSURL / LiveHLSManifest / LiveHDSManifest.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestPaths } from '../../src/origin/url-families.js';
import { interpolateAll, readCloudFormation, readCompose, substitute } from './yaml-files.js';

const cfn = readCloudFormation();
const resources = cfn.Resources as Record<string, any>;
const PSEUDO = ['AWS::Region', 'AWS::StackName', 'AWS::Partition', 'AWS::AccountId', 'AWS::URLSuffix', 'AWS::StackId'];
const DNS = 'ec2-198-51-100-7.compute-1.amazonaws.com';

/** Values for Fn::Sub: every parameter, resource, attribute used, and pseudo parameter. */
const subValues: Record<string, string> = {
  InstanceType: 't3.medium',
  KeyName: 'my-key',
  StreamName: 'livestream',
  PublishSecret: 'correct-horse-battery-staple',
  PublishCidr: '203.0.113.0/24',
  Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/streamfront:0.1.0',
  LatestUbuntuAmi: 'ami-0123456789abcdef0',
  'StreamfrontInstance.PublicDnsName': DNS,
  ...Object.fromEntries(PSEUDO.map((p) => [p, p === 'AWS::Partition' ? 'aws' : `pseudo-${p}`])),
};

function userData(): string {
  const ud = resources.StreamfrontInstance.Properties.UserData;
  expect(Object.keys(ud)).toEqual(['Fn::Base64']);
  return substitute(ud['Fn::Base64']['Fn::Sub'], subValues);
}

function heredoc(script: string, tag: string): string {
  const m = new RegExp(`<<'${tag}'\\n([\\s\\S]*?)\\n${tag}\\n`).exec(script);
  if (!m) throw new Error(`no heredoc ${tag}`);
  return m[1]!;
}

function walk(node: unknown, visit: (n: any) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

describe('docker/cloudformation.yaml', () => {
  it('has the stack parameters: instance type, key pair, stream name, a NoEcho publish secret', () => {
    const p = cfn.Parameters;
    expect(p.InstanceType.Type).toBe('String');
    expect(p.InstanceType.AllowedValues).toContain(p.InstanceType.Default);
    expect(p.KeyName.Type).toBe('AWS::EC2::KeyPair::KeyName');
    expect(p.StreamName.Default).toMatch(new RegExp(`^${p.StreamName.AllowedPattern}$`));
    expect(p.PublishSecret.NoEcho).toBe(true);
    expect(p.PublishSecret.Default).toBeUndefined();
    expect(p.PublishSecret.MinLength).toBeGreaterThanOrEqual(16);
  });

  it('opens TCP 1935 and 80 and nothing else', () => {
    const groups = Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroup');
    expect(groups).toHaveLength(1);
    const ingress = groups[0].Properties.SecurityGroupIngress as any[];
    expect(ingress.map((r) => [r.IpProtocol, r.FromPort, r.ToPort]).sort()).toEqual([
      ['tcp', 1935, 1935],
      ['tcp', 80, 80],
    ]);
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')).toHaveLength(0);
    expect(resources.StreamfrontInstance.Properties.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': ['StreamfrontSecurityGroup', 'GroupId'] }]);
  });

  it('every !Ref, !GetAtt and ${…} in !Sub names a parameter, resource or pseudo parameter', () => {
    const names = new Set([...Object.keys(cfn.Parameters), ...Object.keys(resources), ...PSEUDO]);
    walk(cfn, (n) => {
      if ('Ref' in n) expect(names, `Ref ${n.Ref}`).toContain(n.Ref);
      if ('Fn::GetAtt' in n) expect(names).toContain(n['Fn::GetAtt'][0]);
      if ('Fn::Sub' in n) expect(() => substitute(n['Fn::Sub'], subValues)).not.toThrow();
    });
  });

  it('user data is a valid bash script that installs Docker and runs compose', () => {
    const script = userData();
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toMatch(/apt-get install[^\n]*docker\.io[^\n]*docker-compose-v2/);
    expect(script).toMatch(/docker compose up -d/);
    const dir = mkdtempSync(path.join(tmpdir(), 'sf-cfn-'));
    try {
      writeFileSync(path.join(dir, 'user-data.sh'), script);
      const r = spawnSync('bash', ['-n', path.join(dir, 'user-data.sh')], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("user data's compose file runs the same services as docker/compose.yaml, with the stack's image and secret", () => {
    const script = userData();
    const env = Object.fromEntries(
      heredoc(script, 'ENV')
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    expect(env).toEqual({ STREAMFRONT_IMAGE: subValues.Image, STREAMFRONT_PUBLISH_SECRET: subValues.PublishSecret });
    const embedded = interpolateAll(readCompose(heredoc(script, 'COMPOSE')), env);
    const local = interpolateAll(readCompose(), { STREAMFRONT_PUBLISH_SECRET: subValues.PublishSecret });
    expect(Object.keys(embedded.services).sort()).toEqual(Object.keys(local.services).sort());
    for (const name of Object.keys(local.services)) {
      const [e, l] = [embedded.services[name], local.services[name]];
      expect(e.image).toBe(subValues.Image);
      expect(e.build).toBeUndefined();
      expect(e.command).toEqual(l.command);
      expect(e.ports).toEqual(l.ports);
      expect(e.environment.STREAMFRONT_PUBLISH_SECRET).toEqual(l.environment.STREAMFRONT_PUBLISH_SECRET);
      expect(e.environment.STREAMFRONT_HEALTH_URL).toEqual(l.environment.STREAMFRONT_HEALTH_URL);
    }
    // Without the stack's secret the embedded compose refuses to start, like docker/compose.yaml.
    expect(() => interpolateAll(readCompose(heredoc(script, 'COMPOSE')), { STREAMFRONT_IMAGE: 'x' })).toThrow(/PUBLISH_SECRET/);
  });

  it('outputs the publish URL, stream name and the HLS/HDS/Smooth manifest URLs the origin serves', () => {
    const out = Object.fromEntries(
      Object.entries<any>(cfn.Outputs).map(([k, v]) => [
        k,
        typeof v.Value === 'string'
          ? v.Value
          : 'Ref' in v.Value
            ? (subValues[v.Value.Ref] ?? v.Value.Ref)
            : substitute(v.Value['Fn::Sub'], subValues),
      ]),
    );
    const paths = manifestPaths({ app: 'live', name: 'livestream' });
    expect(out).toMatchObject({
      PublishURL: `rtmp://${DNS}/live`,
      StreamName: 'livestream',
      LiveHLSManifest: `http://${DNS}${paths.wowza.hls}`,
      LiveHDSManifest: `http://${DNS}${paths.wowza.hds}`,
      LiveSmoothManifest: `http://${DNS}${paths.wowza.smooth}`,
      RTMPPlayURL: `rtmp://${DNS}/cfx/st/livestream`,
      PlayerURL: `http://${DNS}/?stream=live/livestream`,
    });
    expect(out.PublishKeyCommand).toMatch(/publish-key live\/livestream$/);
  });
});
