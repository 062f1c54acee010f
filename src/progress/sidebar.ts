// Ticks in the navigation from the learner's progress, and "lesson read" once the end of a
// lesson has been on screen.

type Progress = { labs: Array<{ lab: string; tasksPassed: string[]; completedAt: string | null }>; lessonsRead: string[] };

const path = (href: string) => new URL(href, window.location.href).pathname.replace(/^\/|\/$/g, '');

export async function markProgress(): Promise<void> {
  const response = await fetch('/api/progress').catch(() => undefined);
  // The static site alone (no lab server) simply shows no ticks.
  if (!response?.ok) return;
  const progress = (await response.json()) as Progress;
  const read = new Set(progress.lessonsRead);
  const labs = new Map(progress.labs.map((lab) => [`labs/${lab.lab}`, lab]));
  for (const link of document.querySelectorAll<HTMLAnchorElement>('.sidebar-content a[href]')) {
    const target = path(link.href);
    const lab = labs.get(target);
    if (read.has(target) || lab?.completedAt) link.dataset.progress = '✓';
    else if (lab && lab.tasksPassed.length > 0) link.dataset.progress = `${lab.tasksPassed.length} done`;
  }
  markModules();
  watchLessonEnd();
}

/** Each module's group shows lessons read of its lessons; the progress link shows the whole course. */
function markModules(): void {
  let read = 0;
  let total = 0;
  for (const group of document.querySelectorAll<HTMLDetailsElement>('.sidebar-content details')) {
    // A module's lessons are the links below its overview page (/<module>/).
    const links = [...group.querySelectorAll<HTMLAnchorElement>('a[href]')];
    const overview = links[0] && path(links[0].href).split('/').length === 1 && !path(links[0].href).startsWith('labs') ? links[0] : undefined;
    if (!overview) continue;
    const lessons = links.slice(1);
    const done = lessons.filter((link) => link.dataset.progress === '✓').length;
    read += done;
    total += lessons.length;
    const summary = group.querySelector<HTMLElement>('summary .group-label');
    if (summary && done > 0) summary.dataset.progress = done === lessons.length ? '✓' : `${done}/${lessons.length}`;
  }
  const course = document.querySelector<HTMLAnchorElement>('.sidebar-content a[href="/progress/"]');
  if (course && total > 0) course.dataset.progress = `${read}/${total}`;
}

function watchLessonEnd(): void {
  const lesson = path(window.location.pathname);
  const end = document.querySelector('[data-lesson-end]');
  if (!lesson || !end) return;
  const observer = new IntersectionObserver((entries) => {
    if (!entries.some((entry) => entry.isIntersecting)) return;
    observer.disconnect();
    void fetch('/api/progress/lessons', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lesson }) });
  });
  observer.observe(end);
}
