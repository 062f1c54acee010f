// Debian packages for the images, fetched with apt-get but never installed. apt runs on private
// state (its own source list, package lists, archive cache and dpkg status), so it resolves each
// image's dependencies from nothing, the host's installed packages and pins play no part, and
// nothing on the host changes. Unpacking is dpkg-deb piped into tar: no maintainer script runs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { run, tail } from '../../exec.ts';

export type DebPackage = {
  name: string;
  version: string;
  architecture: string;
  /** The .deb in the suite's archive cache. */
  file: string;
  source: { name: string; version: string };
};

export type Suite = {
  name: string;
  /** One-line apt sources. */
  sources: string[];
  /** This suite's apt state, kept between builds so unchanged .debs are not fetched again. */
  dir: string;
};

const aptEnv = { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' };

function aptOptions(suite: Suite, status: string): string[] {
  const options: Record<string, string> = {
    'Dir::Etc::SourceList': join(suite.dir, 'sources.list'),
    'Dir::Etc::SourceParts': '/dev/null',
    'Dir::Etc::Preferences': '/dev/null',
    'Dir::Etc::PreferencesParts': '/dev/null',
    'Dir::State::Lists': join(suite.dir, 'lists'),
    'Dir::State::status': status,
    'Dir::Cache': join(suite.dir, 'cache'),
    'APT::Install-Recommends': 'false',
    'APT::Install-Suggests': 'false',
    // The images are amd64 whatever foreign architectures the host's dpkg knows.
    'APT::Architecture': 'amd64',
    'APT::Architectures': 'amd64',
    // Only the Packages indexes are needed: no translations, no AppStream metadata or icons.
    'Acquire::Languages': 'none',
    'Acquire::IndexTargets::deb::DEP-11::DefaultEnabled': 'false',
    'Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled': 'false',
    'Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled': 'false',
    'Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled': 'false',
  };
  // As root apt hands downloads to the _apt user, who cannot enter a cache under root's home.
  if (process.getuid?.() === 0) options['APT::Sandbox::User'] = 'root';
  return Object.entries(options).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
}

async function apt(command: 'apt-get' | 'apt-cache', suite: Suite, status: string, args: string[]) {
  try {
    return await run(command, [...aptOptions(suite, status), ...args], { env: aptEnv });
  } catch {
    throw new CnlabError(
      `${command} cannot be run: the image catalogue is built from Debian packages with apt`,
      'build the images on Debian or Ubuntu (apt-get and dpkg-deb), or use the kind provider, whose node pulls images itself',
    );
  }
}

const emptyStatus = (suite: Suite) => join(suite.dir, 'status-empty');

/** Fetches the suite's package lists, as `apt-get update` does. */
export async function updateSuite(suite: Suite): Promise<void> {
  for (const dir of ['lists/partial', 'cache/archives/partial']) await mkdir(join(suite.dir, dir), { recursive: true });
  await writeFile(join(suite.dir, 'sources.list'), `${suite.sources.join('\n')}\n`);
  await writeFile(emptyStatus(suite), '');
  const result = await apt('apt-get', suite, emptyStatus(suite), ['update']);
  // apt reports an unreachable mirror as a warning plus "E: Some index files failed to download".
  if (result.code !== 0 || /^(E|W): (Failed to fetch|Some index files failed)/m.test(result.stderr)) {
    const hosts = [...new Set(suite.sources.map((line) => new URL(line.split(' ')[1] ?? '').host))].join(', ');
    throw new CnlabError(
      `apt-get update could not fetch Debian ${suite.name}'s package lists from ${hosts}:\n${tail(result.stderr || result.stdout)}`,
      `check that this machine reaches the Debian mirror (try \`apt-get update\`; a proxy goes in /etc/apt/apt.conf.d as Acquire::http::Proxy), then build again`,
    );
  }
}

type Paragraph = Record<string, string>;

/** Parses deb822 paragraphs (apt-cache show), keeping single-line fields. */
function paragraphs(text: string): Paragraph[] {
  return text
    .split(/\n\n+/)
    .filter((block) => block.trim())
    .map((block) => Object.fromEntries([...block.matchAll(/^([\w-]+): ?(.*)$/gm)].map((match) => [match[1] ?? '', match[2] ?? ''])));
}

async function show(suite: Suite, status: string, names: string[]): Promise<Paragraph[]> {
  const result = await apt('apt-cache', suite, status, ['show', '--no-all-versions', ...names]);
  if (result.code !== 0) throw missingPackage(suite, result.stderr, names);
  return paragraphs(result.stdout);
}

/** apt names the package it cannot find, except `apt-cache show`, which only fails: then `asked` are named. */
function missingPackage(suite: Suite, stderr: string, asked: string[] = []): CnlabError {
  const unknown = [...stderr.matchAll(/Unable to locate package (\S+)|Package '?([^'\s]+)'? has no installation candidate|No packages found for '?([^'\s]+)/g)].map(
    (match) => match[1] ?? match[2] ?? match[3],
  );
  return new CnlabError(
    unknown.length > 0
      ? `Debian ${suite.name} has no package ${unknown.join(', ')}`
      : asked.length > 0 && /No packages found/.test(stderr)
        ? `Debian ${suite.name} lacks at least one of the packages ${asked.join(', ')}`
        : `apt could not resolve the packages in Debian ${suite.name}:\n${tail(stderr)}`,
    'fix the package names in server/cluster/images/catalogue.yaml (apt-cache policy NAME on a machine with that suite shows what exists)',
  );
}

/**
 * The packages an image needs, `packages` and their dependencies, downloaded into the suite's
 * cache. `omit` are written into a private dpkg status as installed: apt then takes them and
 * everything only they depend on as present, and neither is fetched.
 */
export async function fetchPackages(suite: Suite, packages: string[], omit: string[], workDir: string): Promise<DebPackage[]> {
  await mkdir(workDir, { recursive: true });
  const status = join(workDir, 'dpkg-status');
  const omitted = omit.length > 0 ? await show(suite, emptyStatus(suite), omit) : [];
  const fields = ['Package', 'Version', 'Architecture', 'Multi-Arch', 'Provides'];
  await writeFile(status, omitted.map((p) => `${fields.filter((key) => p[key]).map((key) => `${key}: ${p[key]}`).join('\n')}\nStatus: install ok installed\n\n`).join(''));

  const simulated = await apt('apt-get', suite, status, ['install', '--simulate', ...packages]);
  if (simulated.code !== 0) throw missingPackage(suite, simulated.stderr);
  const chosen = [...simulated.stdout.matchAll(/^Inst (\S+) (?:\[\S+\] )?\((\S+) .*\[(\w+)\]\)/gm)]
    .map((match) => ({ name: match[1] ?? '', version: match[2] ?? '', architecture: match[3] ?? '' }))
    // apt may still choose to reinstall an omitted package to untangle an upgrade; it stays out.
    .filter((p) => !omit.includes(p.name));
  if (chosen.length === 0) throw new CnlabError(`apt chose no packages for ${packages.join(', ')} in Debian ${suite.name}:\n${tail(simulated.stdout)}`);

  const download = await apt('apt-get', suite, status, ['install', '--download-only', '--yes', '--quiet', ...packages]);
  if (download.code !== 0) {
    throw new CnlabError(
      `apt could not download ${packages.join(', ')} from Debian ${suite.name}:\n${tail(download.stderr || download.stdout)}`,
      'check that this machine reaches the Debian mirror and has disk space, then build again',
    );
  }

  const sources = new Map((await show(suite, status, chosen.map((p) => `${p.name}=${p.version}`))).map((p) => [p.Package ?? '', p]));
  return chosen.map((p) => {
    const file = join(suite.dir, 'cache', 'archives', `${p.name}_${p.version.replace(':', '%3a')}_${p.architecture}.deb`);
    if (!existsSync(file)) throw new CnlabError(`apt reported ${p.name} ${p.version} downloaded, but ${file} is missing`, 'build again; if it persists, delete the folder it names');
    // "Source: busybox (1:1.37.0-6)" when the versions differ, "Source: nginx" when they match.
    const match = /^(\S+)(?: \((\S+)\))?$/.exec(sources.get(p.name)?.Source ?? '');
    return { ...p, file, source: { name: match?.[1] ?? p.name, version: match?.[2] ?? p.version } };
  });
}

/** The upstream part of a Debian version: 5:8.0.2-3+deb13u3 is 8.0.2, 2.8.2+ds1-1 is 2.8.2. */
export function upstreamVersion(debianVersion: string): string {
  return debianVersion
    .replace(/^\d+:/, '')
    .replace(/-[^-]*$/, '')
    .replace(/[+~](dfsg|ds|repack)\d*$/, '');
}

/** Unpacks a package's files into `root`, keeping the root's /bin, /lib... links to /usr. */
export async function unpack(deb: string, root: string): Promise<void> {
  const source = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'pipe'] });
  // dpkg-deb -x would replace a directory link such as /lib -> usr/lib with a real directory.
  const sink = spawn('tar', ['-x', '--keep-directory-symlink', '--preserve-permissions', '--no-same-owner', '-C', root], { stdio: ['pipe', 'ignore', 'pipe'] });
  source.stdout.pipe(sink.stdin);
  const finished = (child: typeof source | typeof sink, name: string) =>
    new Promise<string>((resolve, reject) => {
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', (error) => reject(new CnlabError(`${name} cannot be run (${error.message})`, 'install dpkg and GNU tar')));
      child.on('close', (code) => (code === 0 ? resolve(stderr) : reject(new CnlabError(`${name} failed unpacking ${deb}:\n${tail(stderr)}`))));
    });
  await Promise.all([finished(source, 'dpkg-deb'), finished(sink, 'tar')]);
}
