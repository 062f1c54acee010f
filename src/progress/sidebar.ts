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
  watchLessonEnd();
}

function watchLessonEnd(): void {
  const lesson = path(window.location.pathname);
  const end = document.querySelector('.sl-markdown-content > :last-child');
  if (!lesson || lesson.startsWith('labs/') || lesson === 'progress' || !end) return;
  const observer = new IntersectionObserver((entries) => {
    if (!entries.some((entry) => entry.isIntersecting)) return;
    observer.disconnect();
    void fetch('/api/progress/lessons', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lesson }) });
  });
  observer.observe(end);
}
