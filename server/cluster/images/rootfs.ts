// Assembles an image's root file system in a folder: what `dpkg -i` and the maintainer scripts
// would have left (accounts, links, generated files), written from the catalogue instead.
import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, chmod, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { tail } from '../../exec.ts';
import type { Catalogue, CatalogueImage, ImageFile } from './catalogue.ts';
import { runInImage } from './sandbox.ts';

// Debian trixie ships its files under /usr only (bookworm still under /bin and /lib too); these
// links give both suites the merged layout base-files would have set up.
const MERGED_USR = ['bin', 'sbin', 'lib', 'lib64'];

export async function mergedUsr(root: string): Promise<void> {
  for (const name of MERGED_USR) {
    await mkdir(join(root, 'usr', name), { recursive: true });
    await symlink(`usr/${name}`, join(root, name));
  }
}

/**
 * Where an image path lies on the host, following links the way the image will see them: an
 * absolute link target (/var/run -> /run) stays inside `root`. The last part is not followed.
 */
export async function hostPath(root: string, path: string): Promise<string> {
  const parts = path.split('/').filter(Boolean);
  const resolved: string[] = [];
  for (let index = 0, hops = 0; index < parts.length; index += 1) {
    const part = parts[index] ?? '';
    if (part === '..') {
      resolved.pop();
      continue;
    }
    if (part === '.') continue;
    const candidate = join(root, ...resolved, part);
    const isLast = index === parts.length - 1;
    const info = isLast ? undefined : await lstat(candidate).catch(() => undefined);
    if (info?.isSymbolicLink()) {
      if ((hops += 1) > 40) throw new CnlabError(`too many links resolving ${path} in the image`);
      const target = await readlink(candidate);
      const rest = parts.slice(index + 1);
      const base = target.startsWith('/') ? [] : resolved;
      parts.splice(0, parts.length, ...base, ...target.split('/').filter(Boolean), ...rest);
      resolved.length = 0;
      index = -1;
      continue;
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}

async function writeEntry(root: string, entry: ImageFile): Promise<void> {
  const target = await hostPath(root, entry.path);
  await mkdir(dirname(target), { recursive: true });
  if (entry.dir) {
    const existing = await lstat(target).catch(() => undefined);
    if (existing && !existing.isDirectory()) await rm(target, { recursive: true });
    await mkdir(target, { recursive: true });
    await chmod(target, Number.parseInt(entry.mode ?? '0755', 8));
    return;
  }
  await rm(target, { recursive: true, force: true });
  if (entry.link !== undefined) {
    await symlink(entry.link, target);
    return;
  }
  let content: string;
  if (entry.concat) {
    const dir = await hostPath(root, entry.concat.dir);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(entry.concat?.suffix ?? '')).sort();
    if (names.length === 0) throw new CnlabError(`${entry.path}: no file in ${entry.concat.dir} ends with ${entry.concat.suffix}`, 'check the concat entry and the packages in server/cluster/images/catalogue.yaml');
    const parts = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
    content = parts.map((part) => (part.endsWith('\n') ? part : `${part}\n`)).join('');
  } else {
    content = entry.text ?? '';
  }
  await writeFile(target, content);
  await chmod(target, Number.parseInt(entry.mode ?? '0644', 8));
}

/** Links every busybox applet to it, where no package or catalogue file already put something. */
async function linkApplets(root: string, scratch: string): Promise<void> {
  const busybox = '/usr/bin/busybox';
  // Before the layer is written, so without the mounts whose mount points would end up in it.
  const listed = await runInImage(root, {}, [busybox, '--list-full'], join(scratch, 'busybox-applets'), false);
  if (listed.code !== 0) throw new CnlabError(`busybox --list-full failed in the image:\n${tail(listed.output)}`);
  for (const applet of listed.output.split('\n').filter(Boolean)) {
    const target = await hostPath(root, `/${applet}`);
    if (await lstat(target).catch(() => undefined)) continue;
    await mkdir(dirname(target), { recursive: true });
    await symlink(busybox, target);
  }
}

/** Removes what a container never reads; of /usr/share/doc the copyright files stay, as licences require. */
async function prune(root: string, paths: string[]): Promise<void> {
  for (const path of paths) await rm(await hostPath(root, path), { recursive: true, force: true });
  const docs = await hostPath(root, '/usr/share/doc');
  for (const name of await readdir(docs).catch(() => [] as string[])) {
    const dir = join(docs, name);
    if (!(await lstat(dir)).isDirectory()) continue;
    for (const inside of await readdir(dir)) if (inside !== 'copyright') await rm(join(dir, inside), { recursive: true, force: true });
  }
}

/**
 * Writes the catalogue's part of an image into `root`, whose packages or binaries are in place:
 * base and own files, accounts, busybox's links, then the pruning. Returns the paths whose
 * owner is not root, for the layer. `scratch` is a folder outside the image for temporary files.
 */
export async function finishRootfs(root: string, image: CatalogueImage, catalogue: Catalogue, scratch: string): Promise<Map<string, string>> {
  const base = image.base ? catalogue.baseImage : { passwd: [], group: [], files: [] };
  const files = [...base.files, ...image.files];
  for (const entry of files) await writeEntry(root, entry);
  const passwd = [...base.passwd, ...image.passwd];
  const group = [...base.group, ...image.group];
  if (passwd.length > 0) await writeEntry(root, { path: '/etc/passwd', text: `${passwd.join('\n')}\n`, mode: '0644' });
  if (group.length > 0) await writeEntry(root, { path: '/etc/group', text: `${group.join('\n')}\n`, mode: '0644' });
  if (image.busybox) await linkApplets(root, scratch);
  await prune(root, catalogue.prune);
  const owned = new Map<string, string>();
  for (const entry of files) if (entry.owner) owned.set(relative(root, await hostPath(root, entry.path)), entry.owner);
  return owned;
}
