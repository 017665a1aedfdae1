// Parses the compose file and the CloudFormation template with the `yaml` package; CloudFormation's
// short tags (!Ref, !Sub, !GetAtt, !Base64, …) become `{ 'Fn::X': value }` objects, as AWS reads them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type ScalarTag, type CollectionTag } from 'yaml';

export const COMPOSE_FILE = fileURLToPath(new URL('../../docker/compose.yaml', import.meta.url));
export const CFN_FILE = fileURLToPath(new URL('../../docker/cloudformation.yaml', import.meta.url));

const FNS = [
  'Base64',
  'Sub',
  'GetAtt',
  'Join',
  'Select',
  'Split',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Cidr',
];

function cfnTags(): Array<ScalarTag | CollectionTag> {
  const tags: Array<ScalarTag | CollectionTag> = [];
  const wrap = (name: string, value: unknown) => {
    if (name === 'Ref') return { Ref: value };
    if (name === 'GetAtt' && typeof value === 'string') return { 'Fn::GetAtt': value.split('.') };
    return { [`Fn::${name}`]: value };
  };
  for (const name of ['Ref', ...FNS]) {
    tags.push({ tag: `!${name}`, resolve: (str: string) => wrap(name, str) } as ScalarTag);
    tags.push({
      tag: `!${name}`,
      collection: 'seq',
      resolve: (seq: { toJSON(): unknown }) => wrap(name, seq.toJSON()),
    } as unknown as CollectionTag);
    tags.push({
      tag: `!${name}`,
      collection: 'map',
      resolve: (map: { toJSON(): unknown }) => wrap(name, map.toJSON()),
    } as unknown as CollectionTag);
  }
  return tags;
}

export function readCompose(text = readFileSync(COMPOSE_FILE, 'utf8')): any {
  return parse(text, { merge: true });
}

export function readCloudFormation(text = readFileSync(CFN_FILE, 'utf8')): any {
  return parse(text, { customTags: cfnTags(), merge: true });
}

/**
 * What CloudFormation makes of a `Fn::Sub` string: `${Name}` and `${Res.Attr}` replaced from
 * `values`, `${!Literal}` written as `${Literal}`. An unknown name throws, as CloudFormation would.
 */
export function substitute(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{(!?)([A-Za-z0-9_:.]+)\}|\$\{!([^}]*)\}/g, (m, bang: string, name: string, literal: string | undefined) => {
    if (literal !== undefined) return '${' + literal + '}';
    if (bang) return '${' + name + '}';
    if (!(name in values)) throw new Error(`Fn::Sub: unresolved \${${name}}`);
    return values[name]!;
  });
}

/**
 * Docker Compose variable interpolation of one string (`${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `$$`), as the compose specification defines it.
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
    (m, name?: string, colon?: string, op?: string, arg?: string) => {
      if (m === '$$') return '$';
      const v = env[name!];
      const missing = v === undefined || (colon === ':' && v === '');
      if (op === '-') return missing ? arg! : v!;
      if (op === '?') {
        if (missing) throw new Error(`required variable ${name} is missing a value: ${arg}`);
        return v!;
      }
      return v ?? '';
    },
  );
}

/** Interpolates every string in a parsed compose document. */
export function interpolateAll(node: unknown, env: Record<string, string | undefined>): any {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, env));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env)]));
  return node;
}
