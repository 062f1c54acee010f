import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, link, lstat, mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { run, tail } from '../exec.ts';

// The learner's toolset, from the list in toolset.txt: the sandbox's /usr is a tree of these
// packages' files and their dependencies' (as installed on this machine), not the host's /usr,
// so what a learner has is the same on every server and the host's compilers, browsers and
// cluster tools are not in it.

export type Tool = { program: string; pkg: string; probe: string };
export type Toolset = { tools: Tool[]; links: { name: string; target: string }[] };

const LIST = join(import.meta.dirname, 'toolset.txt');

export function readToolset(text = readFileSync(LIST, 'utf8')): Toolset {
  const tools: Tool[] = [];
  const links: Toolset['links'] = [];
  for (const line of text.split('\n').map((raw) => raw.trim())) {
    if (!line || line.startsWith('#')) continue;
    const linked = /^(\S+)\s*->\s*(\S+)$/.exec(line);
    if (linked) {
      links.push({ name: linked[1] as string, target: linked[2] as string });
      continue;
    }
    const tool = /^([^=\s]+)=(\S+)\s+(.+)$/.exec(line);
    if (!tool) throw new Error(`${LIST}: cannot read the line "${line}"`);
    tools.push({ program: tool[1] as string, pkg: tool[2] as string, probe: tool[3] as string });
  }
  return { tools, links };
}

type Installed = { version: string; provides: string[]; depends: string[][] };

/** "a (>= 1) | b, c:any" as [["a", "b"], ["c"]]: each entry is satisfied by any one of its names. */
const parseDepends = (field: string) =>
  field
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => entry.split('|').map((choice) => choice.trim().split(/[\s(:]/)[0] as string));

async function installedPackages(): Promise<Map<string, Installed>> {
  const listed = await run('dpkg-query', ['-W', '-f', '${Package}\t${Version}\t${db:Status-Status}\t${Provides}\t${Pre-Depends}, ${Depends}\n']);
  if (listed.code !== 0) throw new Error(`dpkg-query could not list the installed packages: ${tail(listed.stderr)}`);
  const installed = new Map<string, Installed>();
  for (const line of listed.stdout.split('\n')) {
    const [name, version, status, provides, depends] = line.split('\t');
    if (!name || status !== 'installed') continue;
    installed.set(name, { version: version ?? '', provides: parseDepends(provides ?? '').map(([first]) => first as string), depends: parseDepends(depends ?? '') });
  }
  return installed;
}

/** The listed packages and everything they depend on, as installed here; a missing one is named with how to get it. */
export async function toolsetPackages(toolset: Toolset): Promise<Map<string, string>> {
  const installed = await installedPackages();
  const providers = new Map<string, string>();
  for (const [name, info] of installed) for (const virtual of info.provides) if (!providers.has(virtual)) providers.set(virtual, name);
  const resolve = (name: string) => (installed.has(name) ? name : providers.get(name));
  const wanted = [...new Set(toolset.tools.map((tool) => tool.pkg))];
  const missing = wanted.filter((pkg) => !resolve(pkg));
  if (missing.length > 0) throw new Error(`the learner toolset needs the Debian packages ${missing.join(', ')}: run \`sh scripts/ensure-sandbox-packages.sh\` as root`);
  const closure = new Map<string, string>();
  const visit = (pkg: string) => {
    if (closure.has(pkg)) return;
    const info = installed.get(pkg) as Installed;
    closure.set(pkg, info.version);
    for (const choices of info.depends) {
      const found = choices.map(resolve).find((candidate) => candidate !== undefined);
      if (found) visit(found);
    }
  };
  for (const pkg of wanted) visit(resolve(pkg) as string);
  return closure;
}

/** Where a package's path lives in a merged-/usr tree (/bin/ls and /usr/bin/ls are one file there). */
function inUsr(path: string): string | undefined {
  const merged = /^\/(bin|sbin|lib|lib32|lib64|libx32)(\/.*)?$/.exec(path);
  if (merged) return `/usr/${merged[1]}${merged[2] ?? ''}`;
  return path.startsWith('/usr/') ? path : undefined;
}

/**
 * The toolset's /usr, made once per set of package versions under `cacheDir` (hard links where
 * the cache shares the host's file system, else copies); returns its folder.
 */
export async function ensureToolsetTree(cacheDir: string, toolset: Toolset = readToolset()): Promise<string> {
  const packages = await toolsetPackages(toolset);
  const key = createHash('sha256')
    .update(JSON.stringify([...packages].sort(), null, 0))
    .update(JSON.stringify(toolset.links))
    .digest('hex')
    .slice(0, 16);
  const tree = join(cacheDir, 'toolset', key);
  if (existsSync(join(tree, '.complete'))) return join(tree, 'usr');
  const building = `${tree}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  const listed = await run('dpkg-query', ['-L', ...packages.keys()]);
  if (listed.code !== 0) throw new Error(`dpkg-query could not list the toolset's files: ${tail(listed.stderr)}`);
  const paths = [...new Set(listed.stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('/')))].sort();
  for (const path of paths) {
    const target = inUsr(path);
    if (!target) continue;
    const stat = await lstat(path).catch(() => undefined);
    if (!stat) continue;
    const into = join(building, target);
    // /bin and the like are links into /usr on the host; in the tree they are /usr's own folders.
    if (stat.isDirectory() || (stat.isSymbolicLink() && target !== path && !target.slice(5).includes('/'))) {
      await mkdir(into, { recursive: true, mode: 0o755 });
      continue;
    }
    if (existsSync(into)) continue;
    await mkdir(dirname(into), { recursive: true, mode: 0o755 });
    // Alternatives point into /etc, which the sandbox does not have: links are resolved here.
    if (stat.isSymbolicLink()) {
      const pointsTo = await readlink(path);
      if (pointsTo.startsWith('/etc/')) continue;
      await symlink(pointsTo, into);
    } else await link(path, into).catch(() => copyFile(path, into));
  }
  for (const { name, target } of toolset.links) {
    const at = join(building, 'usr', 'bin', name);
    await rm(at, { force: true });
    await symlink(target, at);
  }
  await writeFile(join(building, '.complete'), `${[...packages].map(([pkg, version]) => `${pkg} ${version}`).join('\n')}\n`);
  // Another server may have made the same tree meanwhile: its sandboxes use it, so it stays.
  await rename(building, tree).catch(async (error: NodeJS.ErrnoException) => {
    if (!existsSync(join(tree, '.complete'))) throw error;
    await rm(building, { recursive: true, force: true });
  });
  return join(tree, 'usr');
}
