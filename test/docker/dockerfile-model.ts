// Reads docker/Dockerfile with dockerfile-ast (the parser behind the VS Code Docker tooling) into
// the few facts the tests check and the container-start test reuses (CMD, ENV, ports, stages).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Instruction, type JSONInstruction, type Env, type ModifiableInstruction } from 'dockerfile-ast';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DOCKERFILE = fileURLToPath(new URL('../../docker/Dockerfile', import.meta.url));

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export interface DockerfileModel {
  text: string;
  stages: Stage[];
  /** The last stage: what `docker run` starts. */
  runtime: Stage;
  /** ENV of the runtime stage, in order (later wins). */
  env: Record<string, string>;
  cmd: string[];
  entrypoint: string[];
  user?: string;
  exposed: string[];
  volumes: string[];
  healthcheck?: { flags: Record<string, string>; cmd: string[] };
}

function jsonArgs(i: Instruction): string[] {
  return (i as JSONInstruction).getJSONStrings().map((a) => a.getJSONValue());
}

export function readDockerfile(file = DOCKERFILE): DockerfileModel {
  const text = readFileSync(file, 'utf8');
  const doc = DockerfileParser.parse(text);
  // Resolve `FROM ${ARG}` with the ARG defaults declared before the first FROM.
  const args: Record<string, string> = {};
  for (const a of doc.getInitialARGs()) {
    for (const p of a.getProperties()) args[p.getName()] = p.getValue() ?? '';
  }
  const stages: Stage[] = [];
  for (const i of doc.getInstructions()) {
    const kw = i.getKeyword();
    if (kw === 'FROM') {
      const [image = '', as, name] = i.getArguments().map((x) => x.getValue());
      stages.push({
        image: image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string, b: string) => args[a ?? b] ?? ''),
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (stages.length) {
      stages[stages.length - 1]!.instructions.push(i);
    }
  }
  const runtime = stages[stages.length - 1]!;
  const of = (kw: string) => runtime.instructions.filter((i) => i.getKeyword() === kw);
  const env: Record<string, string> = {};
  for (const e of of('ENV') as Env[]) for (const p of e.getProperties()) env[p.getName()] = p.getUnescapedValue() ?? '';
  const last = (kw: string) => of(kw).at(-1);
  const hc = last('HEALTHCHECK') as ModifiableInstruction | undefined;
  let healthcheck: DockerfileModel['healthcheck'];
  if (hc) {
    const flags = Object.fromEntries(hc.getFlags().map((f) => [f.getName(), f.getValue() ?? '']));
    const raw = hc.getRawArgumentsContent() ?? '';
    const m = /\bCMD\s+(\[[\s\S]*\])\s*$/.exec(raw.replace(/\\\r?\n/g, ' '));
    healthcheck = { flags, cmd: m ? (JSON.parse(m[1]!) as string[]) : [] };
  }
  return {
    text,
    stages,
    runtime,
    env,
    cmd: last('CMD') ? jsonArgs(last('CMD')!) : [],
    entrypoint: last('ENTRYPOINT') ? jsonArgs(last('ENTRYPOINT')!) : [],
    user: last('USER')?.getArguments()[0]?.getValue(),
    exposed: of('EXPOSE').flatMap((i) => i.getArguments().map((a) => a.getValue())),
    volumes: of('VOLUME').flatMap((i) => {
      const j = jsonArgs(i);
      return j.length ? j : i.getArguments().map((a) => a.getValue());
    }),
    healthcheck,
  };
}
