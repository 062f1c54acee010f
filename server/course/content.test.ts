// The course's content checks: the outline, every lesson, quiz, lab link and internal link of
// the built site. They run on the real files in content/ and labs/ and on dist/ after the build.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { loadLabs } from '../labs/load.ts';
import { projectRoot } from '../paths.ts';
import { YamlFileError } from '../yaml-file.ts';
import { type Course, type Lesson, lessonsInOrder, loadCourse } from './load.ts';
import { describeEarlyTerm, termsUsedTooEarly, usesAny } from './term-order.ts';

const course: Course = await loadCourse();
const labs = await loadLabs();
const lessons = [...course.lessons.values()];
const modules = course.curriculum.modules;

/** Words of teaching prose: front matter, imports, code and markup left out. */
function proseWords(body: string): number {
  const prose = body
    .replace(/^```[\s\S]*?^```/gm, ' ')
    .replace(/^(import|export) .*$/gm, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\{\/\*[\s\S]*?\*\/\}/g, ' ');
  return prose.split(/\s+/).filter((word) => /[A-Za-z]/.test(word)).length;
}

test('the outline names every lesson once per module, and each lesson sits where the outline puts it', () => {
  const named = new Set<string>();
  for (const module of modules) {
    assert.ok(existsSync(join(projectRoot, 'content', module.slug, 'index.mdx')), `content/${module.slug}/index.mdx: module ${module.number} needs an overview page`);
    const order = [...new Set(module.items.map((item) => item.lesson))];
    for (const [index, slug] of order.entries()) {
      named.add(slug);
      const lesson = course.lessons.get(slug);
      assert.ok(lesson, `curriculum item(s) ${module.items.filter((item) => item.lesson === slug).map((item) => item.id).join(', ')}: content/${slug}.mdx does not exist`);
      assert.ok(slug.startsWith(`${module.slug}/`), `${slug}: lessons of module ${module.number} live in content/${module.slug}/`);
      assert.equal(lesson.module, module.number, `${slug}: module is ${lesson.module}; the outline has it in module ${module.number}`);
      assert.equal(lesson.order, index + 1, `${slug}: order is ${lesson.order}; it is lesson ${index + 1} of module ${module.number} in the outline`);
    }
  }
  for (const slug of course.lessons.keys()) assert.ok(named.has(slug), `content/${slug}.mdx is not in content/curriculum.yaml`);
  assert.equal(new Set(modules.flatMap((module) => module.items.map((item) => item.id))).size, modules.flatMap((module) => module.items).length, 'curriculum item ids are unique');
});

test('lessons use the exam domains of the outline', () => {
  const domains = new Map(course.curriculum.domains.map((domain) => [domain.id, new Set(domain.subAreas)]));
  for (const lesson of lessons) {
    assert.ok(domains.get(lesson.domain)?.has(lesson.subArea), `${lesson.slug}: "${lesson.subArea}" is not a sub-area of ${lesson.domain} (${[...(domains.get(lesson.domain) ?? [])].join(', ')})`);
  }
  assert.equal(course.curriculum.domains.filter((domain) => domain.id !== 'infrastructure').reduce((sum, domain) => sum + domain.weight, 0), 100, 'the exam domains weigh 100% together');
});

test('every lab a lesson names exists, and every lab belongs to the lesson that names it', () => {
  const labIds = new Set(labs.map((lab) => lab.definition.id));
  for (const module of modules) {
    for (const item of module.items) {
      const lesson = course.lessons.get(item.lesson);
      for (const lab of item.labs) {
        assert.ok(labIds.has(lab), `curriculum item ${item.id}: lab ${lab} does not exist in labs/`);
        assert.ok(lesson?.labs.includes(lab), `${item.lesson}: front matter labs must include ${lab} (curriculum item ${item.id})`);
      }
    }
  }
  const owner = new Map(lessons.flatMap((lesson) => lesson.labs.map((lab) => [lab, lesson.slug] as const)));
  for (const lesson of lessons) {
    const outlined = new Set(modules.flatMap((module) => module.items.filter((item) => item.lesson === lesson.slug).flatMap((item) => item.labs)));
    for (const lab of lesson.labs) assert.ok(outlined.has(lab), `${lesson.slug}: lab ${lab} is not in its curriculum item's labs`);
  }
  for (const { definition } of labs) {
    assert.equal(owner.get(definition.id), definition.lesson, `labs/${definition.id}/lab.yaml: lesson is ${definition.lesson}, but ${owner.get(definition.id) ? `${owner.get(definition.id)} names the lab` : 'no lesson names the lab'}`);
  }
});

test('every lesson teaches: objectives, enough prose, a summary and a quiz', () => {
  for (const lesson of lessons) {
    const words = proseWords(lesson.body);
    assert.ok(words >= 900, `${lesson.slug}: ${words} words of prose; a lesson has at least 900`);
    assert.match(lesson.body, /^## Summary$/m, `${lesson.slug}: ends with a "## Summary" section`);
    assert.doesNotMatch(lesson.body, /^# /m, `${lesson.slug}: the title is rendered from the front matter; sections start at ##`);
    assert.doesNotMatch(lesson.body, /\b(TODO|TBD|lorem ipsum)\b/i, `${lesson.slug}: unfinished text`);
    assert.ok(lesson.objectives.length >= 2, `${lesson.slug}: at least two objectives`);
    assert.ok(course.quizzes.has(lesson.slug), `content/${lesson.slug}.quiz.yaml: every lesson has a quiz`);
  }
  for (const slug of course.quizzes.keys()) assert.ok(course.lessons.has(slug), `content/${slug}.quiz.yaml has no lesson content/${slug}.mdx`);
});

test('the question bank: unique ids, exam domains, an explanation for every question', () => {
  const domains = new Map(course.curriculum.domains.map((domain) => [domain.id, new Set(domain.subAreas)]));
  const seen = new Map<string, string>();
  for (const [slug, quiz] of course.quizzes) {
    for (const question of quiz.questions) {
      assert.ok(!seen.has(question.id), `${slug}: question id ${question.id} is also used in ${seen.get(question.id)}`);
      seen.set(question.id, slug);
      assert.ok(domains.get(question.domain)?.has(question.subArea), `${slug}/${question.id}: "${question.subArea}" is not a sub-area of ${question.domain}`);
      assert.ok(question.answer.every((index) => index < question.choices.length), `${slug}/${question.id}: answers index the choices`);
      assert.ok(question.type === 'multiple' || question.answer.length === 1, `${slug}/${question.id}: single choice, one answer`);
    }
  }
});

test('the glossary: unique terms, and every cross-reference resolves', () => {
  const ids = course.glossary.map((entry) => entry.id);
  assert.ok(ids.length >= 60, `content/glossary.yaml has ${ids.length} terms`);
  assert.equal(new Set(ids).size, ids.length, 'glossary ids are unique');
  for (const entry of course.glossary) {
    for (const see of entry.see ?? []) assert.ok(ids.includes(see), `glossary ${entry.id}: see ${see} is not a term`);
  }
});

// The words a newcomer meets in the first modules; each must say which lesson teaches it.
const coreTerms = ['pod', 'deployment', 'replicaset', 'service', 'namespace', 'kubectl', 'kubelet', 'control-plane', 'etcd', 'kube-scheduler', 'controller', 'container-runtime', 'configmap', 'secret', 'ingress', 'networkpolicy', 'persistentvolumeclaim', 'statefulset', 'daemonset', 'job', 'customresourcedefinition', 'kubernetes-operator', 'helm-chart', 'kubeconfig', 'rbac', 'serviceaccount'];

test('the glossary says which lesson teaches each core term, and that lesson uses it', () => {
  const ordered = lessonsInOrder(course);
  for (const id of coreTerms) assert.ok(course.glossary.find((entry) => entry.id === id)?.introducedIn, `content/glossary.yaml: ${id} needs introducedIn and uses`);
  const problems: string[] = [];
  for (const entry of course.glossary.filter((term) => term.introducedIn)) {
    const lesson = course.lessons.get(entry.introducedIn ?? '');
    if (!lesson) problems.push(`glossary ${entry.id}: introducedIn ${entry.introducedIn} is not a lesson`);
    else if (!usesAny(lesson, entry.uses ?? [])) problems.push(`glossary ${entry.id}: ${entry.introducedIn} never uses ${entry.uses?.join(' / ')} in its prose`);
  }
  assert.deepEqual(problems, []);
});

test('each glossary term a lesson uses is either linked or was introduced by an earlier lesson in course order', () => {
  assert.deepEqual(termsUsedTooEarly(lessonsInOrder(course), course.glossary).map(describeEarlyTerm), []);
});

test('the term-order check names the file, line and word of an unlinked early use, and reads only prose', () => {
  const lesson = (slug: string, body: string): Lesson => ({ ...lessons[0]!, slug, file: join(projectRoot, 'content', `${slug}.mdx`), body, bodyLine: 10 });
  const glossary = [{ term: 'etcd', id: 'etcd', definition: 'The key-value store of the cluster.', introducedIn: 'm/teaches', uses: ['etcd'] }];
  const teaches = lesson('m/teaches', 'etcd keeps the state.\n');
  const check = (body: string) => termsUsedTooEarly([lesson('m/early', body), teaches], glossary).map(describeEarlyTerm);
  assert.deepEqual(check('Intro.\n\nThe state lives in\netcd, a store.\n'), ['content/m/early.mdx:13: "etcd" (etcd) is taught later, in m/teaches; link it to its glossary entry or that lesson, or explain it here and teach it earlier']);
  assert.deepEqual(check('The state lives in [etcd](/glossary/#etcd); etcd again.\n'), [], 'a glossary link');
  assert.deepEqual(check('The state lives in [the etcd\nstore](/m/teaches/#raft).\n'), [], 'a link to the teaching lesson, across a line break');
  assert.deepEqual(check('```sh\netcdctl get / && etcd\n```\n\nRun `etcd --help`. See <Aside title="etcd" />.\n'), [], 'code and markup are not prose');
  assert.equal(check('Read [etcd](/glossary/#raft) first.\n').length, 1, 'a link elsewhere does not count');
  assert.equal(check('Pretend [etcd](/m/other/) explains.\n').length, 1);
  assert.deepEqual(check('The etcdctl tool and kube-etcd-backup.\n'), [], 'whole words only');
  const helm = [
    { term: 'Helm', id: 'helm', definition: 'The package manager of Kubernetes.', introducedIn: 'm/teaches', uses: ['Helm'] },
    { term: 'Helm chart', id: 'helm-chart', definition: 'A package of templated manifests.', introducedIn: 'm/teaches', uses: ['Helm chart'] },
  ];
  assert.deepEqual(termsUsedTooEarly([lesson('m/early', 'Ship a [Helm chart](/glossary/#helm-chart).\n'), lesson('m/teaches', 'Helm and a Helm chart.\n')], helm), [], 'a link to a longer term covers the shorter one inside it');
  assert.equal(termsUsedTooEarly([lesson('m/early', 'Ship a chart with [Helm](/glossary/#helm), or a Helm chart.\n'), lesson('m/teaches', 'Helm and a Helm chart.\n')], helm).length, 1, 'but not the other way round');
});

test('every module has a diagram, and every diagram is accessible SVG that follows the theme', async () => {
  const folder = join(projectRoot, 'src', 'components', 'diagrams');
  for (const file of (await readdir(folder)).filter((name) => name.endsWith('.astro'))) {
    const source = await readFile(join(folder, file), 'utf8');
    const where = `src/components/diagrams/${file}`;
    assert.match(source, /<svg[^>]*role="img"/, `${where}: the <svg> needs role="img"`);
    const labelled = /aria-labelledby="([^"]+)"/.exec(source)?.[1]?.split(' ') ?? [];
    for (const [element, id] of [['title', labelled[0]], ['desc', labelled[1]]]) {
      assert.ok(id && new RegExp(`<${element} id="${id}">\\s*\\S`).test(source), `${where}: aria-labelledby must name a non-empty <${element}> by its id`);
    }
    assert.doesNotMatch(source, /(fill|stroke)="#[0-9a-fA-F]{3,6}"/, `${where}: draw with currentColor and diagram.css, so the picture follows light and dark themes`);
    assert.doesNotMatch(source, /<(img|image)\b[^>]*(src|href)="https?:/, `${where}: never hot-link an image`);
  }
  for (const module of modules) {
    const drawn = lessons.filter((lesson) => lesson.module === module.number && /from '\.\.\/\.\.\/src\/components\/diagrams\//.test(lesson.body));
    assert.ok(drawn.length > 0, `module ${module.number} (${module.slug}) has no lesson with a diagram`);
  }
});

test('a malformed lesson fails with its file and line', async () => {
  const root = await mkdtemp(join(tmpdir(), 'cnlab-content-'));
  await writeFile(join(root, 'curriculum.yaml'), await readFile(join(projectRoot, 'content', 'curriculum.yaml'), 'utf8'));
  await mkdir(join(root, 'fundamentals'));
  await writeFile(join(root, 'fundamentals', 'pods.mdx'), '---\ntitle: Pods\ndescription: What a Pod is and why it exists.\nmodule: three\n---\n\nText.\n');
  await assert.rejects(loadCourse(root), (error: unknown) => error instanceof YamlFileError && /fundamentals\/pods\.mdx:4:\d+: module/.test(error.message));
  await writeFile(join(root, 'fundamentals', 'pods.mdx'), '---\ntitle: Pods\n---\n');
  await writeFile(join(root, 'fundamentals', 'pods.quiz.yaml'), 'questions:\n  - id: q\n    answer: [4]\n');
  await assert.rejects(loadCourse(root), (error: unknown) => error instanceof YamlFileError && /\.(mdx|quiz\.yaml):\d+:\d+/.test(error.message));
});

test('the outline covers every item of the upstream curriculum (modules 1-6), with a lab where it asks for one', { skip: !existsSync(join(projectRoot, '..', 'shared', 'curriculum.md')) && 'no ../shared/curriculum.md beside the project' }, async () => {
  const upstream = await readFile(join(projectRoot, '..', 'shared', 'curriculum.md'), 'utf8');
  // An item N.M.K is part K of upstream item N.M: the parts together stand for the item.
  const upstreamId = (id: string) => id.split('.').slice(0, 2).join('.');
  const ours = new Map<string, { labs: string[] }[]>();
  // Module 0 is the course's own orientation, which the upstream outline does not list.
  for (const item of modules.filter((module) => module.number > 0).flatMap((module) => module.items)) ours.set(upstreamId(item.id), [...(ours.get(upstreamId(item.id)) ?? []), item]);
  // An item is a numbered line and its indented continuation lines, under a "## N. Module" heading.
  const items = new Map<string, string>();
  let module = 0;
  let current = '';
  for (const line of upstream.split('\n')) {
    const heading = /^## (\d+)\. /.exec(line);
    const item = /^(\d+)\. /.exec(line);
    if (heading) [module, current] = [Number(heading[1]), ''];
    else if (item && module >= 1 && module <= 6) items.set((current = `${module}.${item[1]}`), line);
    else if (current && /^\s+\S/.test(line)) items.set(current, `${items.get(current)} ${line.trim()}`);
    else current = '';
  }
  assert.ok(items.size > 20, `read ${items.size} upstream items`);
  for (const [id, text] of items) {
    const mapped = ours.get(id);
    assert.ok(mapped, `upstream curriculum item ${id} ("${text.slice(0, 60)}...") has no entry in content/curriculum.yaml`);
    if (/\*\*labs?\*\*/.test(text)) assert.ok(mapped.some((part) => part.labs.length > 0), `curriculum item ${id}: upstream marks a lab, content/curriculum.yaml lists none`);
  }
  assert.deepEqual([...ours.keys()].filter((id) => !items.has(id)), [], 'content/curriculum.yaml has no items the upstream outline lacks');
});

async function htmlFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'pagefind' && entry.name !== '_astro') found.push(...(await htmlFiles(path)));
    else if (entry.name.endsWith('.html')) found.push(path);
  }
  return found;
}

const dist = join(projectRoot, 'dist');
test('every internal link and anchor in the built site resolves', { skip: !existsSync(join(dist, 'index.html')) && 'build the site first (npm run build)' }, async () => {
  const pages = new Map<string, string>();
  for (const file of await htmlFiles(dist)) pages.set(file, await readFile(file, 'utf8'));
  const ids = (html: string) => new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]));
  const problems: string[] = [];
  for (const [file, html] of pages) {
    const base = new URL(`http://site/${relative(dist, file).replace(/index\.html$/, '')}`);
    for (const [, href] of html.matchAll(/<a\s[^>]*href="([^"]+)"/g)) {
      if (!href || /^(https?:|mailto:|\/\/)/.test(href) || href.startsWith('/api/')) continue;
      const url = new URL(href.replaceAll('&amp;', '&'), base);
      const path = decodeURIComponent(url.pathname);
      const target = [join(dist, path, 'index.html'), join(dist, path)].find((candidate) => pages.has(candidate) || (existsSync(candidate) && !candidate.endsWith('/')));
      if (!target) {
        problems.push(`${relative(dist, file)}: ${href} leads nowhere`);
        continue;
      }
      const fragment = decodeURIComponent(url.hash.slice(1));
      const targetHtml = pages.get(target);
      if (fragment && targetHtml && !ids(targetHtml).has(fragment)) problems.push(`${relative(dist, file)}: ${href} has no #${fragment} on its page`);
    }
  }
  assert.deepEqual(problems, []);
});
