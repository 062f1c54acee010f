// The image catalogue (catalogue.yaml beside this file): what the embedded cluster's node can
// pull, where each image's files come from, and the tags it answers to. This module validates
// the file and flattens it into one entry per image that is built.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseYaml } from '../../yaml-file.ts';

export const catalogueFile = join(import.meta.dirname, 'catalogue.yaml');

const HINT = 'fix the file; the comment at the top of server/cluster/images/catalogue.yaml describes its format';

const isRegExp = (source: string) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
};

// Paths inside an image are absolute and plain, so a typo cannot write outside the root file system.
const imagePath = z
  .string()
  .regex(/^\/[^\0]*$/, 'an image path starts with /')
  .refine((path) => path === '/' || (!path.split('/').includes('..') && !path.endsWith('/')), 'write the path without .. and without a trailing /');

const passwdLine = z.string().regex(/^[a-z_][a-z0-9_-]*:x:\d+:\d+:[^:]*:[^:]*:[^:]*$/, 'write an /etc/passwd line: name:x:uid:gid:comment:home:shell');
const groupLine = z.string().regex(/^[a-z_][a-z0-9_-]*:x:\d+:[^:]*$/, 'write an /etc/group line: name:x:gid:members');
const owner = z.string().regex(/^\d+:\d+$/, 'write the owner as uid:gid, e.g. 999:999');
const mode = z.string().regex(/^[0-7]{3,4}$/, "write the mode in octal and quoted, e.g. '0755'");

const fileKinds = ['text', 'link', 'dir', 'concat'] as const;
const file = z
  .object({
    path: imagePath,
    /** The file's content. */
    text: z.string().optional(),
    /** Makes the path a symbolic link to this target. */
    link: z.string().min(1).optional(),
    /** Makes the path a directory. */
    dir: z.literal(true).optional(),
    /** The content is every file in this image folder whose name ends with `suffix`, in name order. */
    concat: z.object({ dir: imagePath, suffix: z.string() }).strict().optional(),
    mode: mode.optional(),
    owner: owner.optional(),
  })
  .strict()
  .refine((entry) => fileKinds.filter((kind) => entry[kind] !== undefined).length === 1, { message: `give exactly one of ${fileKinds.join(', ')}` })
  .refine((entry) => entry.link === undefined || (entry.mode === undefined && entry.owner === undefined), { message: 'a link has no mode or owner of its own' });

const check = z
  .object({
    /** The command, run inside the image's root file system with no network. */
    run: z.array(z.string()).min(1),
    /** A regular expression its output (stdout and stderr together) must match. */
    expect: z.string().refine(isRegExp, 'expect is not a valid regular expression'),
    /** The exit code it must end with. */
    exit: z.number().int().min(0).max(255).default(0),
  })
  .strict();

const config = z
  .object({
    User: z.string().optional(),
    Env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/, 'write NAME=value')).optional(),
    Entrypoint: z.array(z.string()).optional(),
    Cmd: z.array(z.string()).optional(),
    WorkingDir: imagePath.optional(),
    ExposedPorts: z.array(z.string().regex(/^\d+\/(tcp|udp|sctp)$/, 'write a port as 80/tcp')).optional(),
    StopSignal: z.string().regex(/^SIG[A-Z0-9]+$/, 'write the signal name, e.g. SIGQUIT').optional(),
    Volumes: z.array(imagePath).optional(),
  })
  .strict();

const reference = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$/;
const tag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'not a valid tag');

const version = z
  .object({
    version: z.string().min(1),
    /** The Debian suite the packages come from; required when the image has Debian packages. */
    suite: z.string().optional(),
    tags: z.array(tag).min(1),
    /** Checks of this version only, after the image's own. */
    checks: z.array(check).default([]),
  })
  .strict();

const image = z
  .object({
    /** The repository, with the upstream registry host: docker.io/library/nginx. */
    repository: z.string().regex(reference, 'write the repository with its registry host, e.g. docker.io/library/nginx'),
    debian: z
      .object({
        packages: z.array(z.string().min(1)).min(1),
        /** The package whose upstream version must be the image's version (none: the image numbers itself). */
        versionOf: z.string().min(1).optional(),
        /**
         * Packages that dependencies pull in only for maintainer scripts, which never run here:
         * apt is told they are installed, so neither they nor their dependencies are fetched.
         */
        omit: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .refine((debian) => debian.versionOf === undefined || debian.packages.includes(debian.versionOf), { message: 'versionOf must be one of the packages', path: ['versionOf'] })
      .optional(),
    /** A C program from the Kubernetes source tree (versions.kubernetes), compiled with gcc. */
    compile: z
      .object({
        source: z.string().regex(/^[\w./-]+\.c$/, 'a .c file inside the Kubernetes module'),
        /** The file's sha256: a new Kubernetes version whose file changed must be looked at again. */
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the sha256 of the file, 64 hex digits'),
        flags: z.array(z.string()),
        output: imagePath,
      })
      .strict()
      .optional(),
    /** A binary the caller built and names in ensureImages(steps, { binaries }). */
    binary: z.object({ name: z.string().regex(/^[a-z0-9-]+$/), output: imagePath }).strict().optional(),
    /** Whether /etc/passwd, /etc/group and the base files are written (not for a lone static binary). */
    base: z.boolean().default(true),
    /** Busybox's applets as links to it, where no package already put a file. */
    busybox: z.boolean().default(false),
    passwd: z.array(passwdLine).default([]),
    group: z.array(groupLine).default([]),
    files: z.array(file).default([]),
    config: config.default({}),
    checks: z.array(check).default([]),
    versions: z.array(version).min(1),
  })
  .strict()
  .refine((entry) => entry.debian || entry.compile || entry.binary, { message: 'give the files a source: debian, compile or binary' })
  .refine((entry) => !entry.debian || entry.versions.every((v) => v.suite !== undefined), { message: 'each version of an image with Debian packages names its suite', path: ['versions'] })
  .refine((entry) => !entry.busybox || entry.debian?.packages.some((name) => name === 'busybox' || name === 'busybox-static'), {
    message: 'busybox: true needs busybox or busybox-static among the Debian packages',
    path: ['busybox'],
  });

const catalogueSchema = z
  .object({
    /** apt source lines per Debian suite. */
    suites: z.record(z.string(), z.array(z.string().regex(/^deb https?:\/\/\S+ \S+( \S+)+$/, 'write a one-line apt source: deb URL SUITE COMPONENT...')).min(1)),
    /** Every image with `base` gets these accounts and files, before its own. */
    baseImage: z.object({ passwd: z.array(passwdLine), group: z.array(groupLine), files: z.array(file) }).strict(),
    /** Removed from every image after the packages are unpacked: what a container never reads. */
    prune: z.array(imagePath),
    images: z.array(image).min(1),
  })
  .strict()
  .superRefine((catalogue, context) => {
    const seen = new Map<string, string>();
    catalogue.images.forEach((entry, index) => {
      entry.versions.forEach((v, versionIndex) => {
        if (v.suite !== undefined && !(v.suite in catalogue.suites)) {
          context.addIssue({ code: 'custom', message: `suite "${v.suite}" is not one of suites: ${Object.keys(catalogue.suites).join(', ')}`, path: ['images', index, 'versions', versionIndex, 'suite'] });
        }
        v.tags.forEach((t, tagIndex) => {
          const ref = `${entry.repository}:${t}`;
          const other = seen.get(ref);
          if (other) context.addIssue({ code: 'custom', message: `${ref} is already the tag of version ${other}`, path: ['images', index, 'versions', versionIndex, 'tags', tagIndex] });
          seen.set(ref, v.version);
        });
      });
    });
  });

export type Catalogue = z.infer<typeof catalogueSchema>;
type ImageRecipe = z.infer<typeof image>;
export type ImageFile = z.infer<typeof file>;
export type ImageCheck = z.infer<typeof check>;
export type ImageConfig = z.infer<typeof config>;

/** One image as it is built and pushed: a repository at one version, under all its tags. */
export type CatalogueImage = Omit<ImageRecipe, 'versions'> & {
  version: string;
  suite: string | undefined;
  tags: string[];
  /** repository:tag for every tag. */
  references: string[];
};

/** `{{version}}` in commands, flags and the config stands for the image's version. */
const withVersion = (text: string, value: string) => text.replaceAll('{{version}}', value);

function flatten(recipe: ImageRecipe): CatalogueImage[] {
  const { versions, ...rest } = recipe;
  return versions.map((v) => {
    const fill = (texts: string[] | undefined) => texts?.map((text) => withVersion(text, v.version));
    const fillChecks = (checks: ImageCheck[]) => checks.map((c) => ({ ...c, run: c.run.map((arg) => withVersion(arg, v.version)), expect: withVersion(c.expect, v.version) }));
    return {
      ...rest,
      compile: rest.compile && { ...rest.compile, flags: fill(rest.compile.flags) ?? [] },
      config: { ...rest.config, Env: fill(rest.config.Env), Cmd: fill(rest.config.Cmd) },
      checks: fillChecks([...rest.checks, ...v.checks]),
      version: v.version,
      suite: v.suite,
      tags: v.tags,
      references: v.tags.map((t) => `${rest.repository}:${t}`),
    };
  });
}

export type LoadedCatalogue = { catalogue: Catalogue; images: CatalogueImage[] };

export function parseCatalogue(file: string, text: string): LoadedCatalogue {
  const catalogue = parseYaml(file, text, catalogueSchema, HINT);
  return { catalogue, images: catalogue.images.flatMap(flatten) };
}

export async function loadCatalogue(file = catalogueFile): Promise<LoadedCatalogue> {
  return parseCatalogue(file, await readFile(file, 'utf8'));
}
