import { expect, test } from '@playwright/test';

type View = { id: string; remainingMs: number; submitted: boolean; questions: Array<{ id: string; prompt: string; answer: number | null; flagged: boolean }> };

test('the speed drill: flag, reload and find the same exam and less time, then the clock submits it and the review explains', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  await page.goto('/exam/kcna-drill/');
  await page.getByRole('button', { name: 'Start the exam' }).click();
  const legend = page.locator('.exam-question legend');
  await expect(legend).toHaveText('Question 1 of 6');
  const firstPrompt = await page.locator('.exam-question .prompt').textContent();
  await page.locator('.exam-question input[type="radio"]').nth(1).check();
  await page.getByLabel('Flag for review').check();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  // The keyboard moves and answers too.
  await page.keyboard.press(']');
  await expect(legend).toHaveText('Question 2 of 6');
  await page.keyboard.press('3');
  await expect(page.getByRole('button', { name: 'Question 2, answered' })).toBeVisible();

  // The running exam never carries its key.
  const { open } = (await (await page.request.get('/api/exams/kcna-drill/attempts')).json()) as { open: string };
  const running = (await (await page.request.get(`/api/exam-attempts/${open}`)).json()) as View;
  expect(JSON.stringify(running)).not.toMatch(/"key"|"why"|"explanation"/);

  await page.reload();
  await expect(legend).toHaveText('Question 1 of 6');
  await expect(page.locator('.exam-question .prompt')).toHaveText(firstPrompt ?? '');
  await expect(page.locator('.exam-question input[type="radio"]').nth(1)).toBeChecked();
  await expect(page.getByLabel('Flag for review')).toBeChecked();
  await expect(page.getByRole('button', { name: 'Question 1, answered, flagged' })).toBeVisible();
  const resumed = (await (await page.request.get(`/api/exam-attempts/${open}`)).json()) as View;
  expect(resumed.remainingMs).toBeLessThan(running.remainingMs);

  // No clock in the page can add time: at zero the server submits the answers given.
  const result = page.locator('[data-result]');
  await expect(result).toBeVisible({ timeout: 4 * 60_000 });
  await expect(result).toContainText('submitted when the time ran out');
  await expect(result.getByRole('img', { name: /Score by domain/ })).toBeVisible();
  await expect(result.locator('[data-review]')).toHaveCount(6);
  await expect(result.locator('[data-review]').first()).toContainText('(flagged)');
  await expect(result.locator('[data-review]').first().getByRole('link', { name: 'Read the lesson' })).toHaveAttribute('href', /^\/[a-z-]+\/[a-z-]+\//);

  // A forged answer after the end is refused.
  const late = await page.request.put(`/api/exam-attempts/${open}/answers/${resumed.questions[2]?.id}`, { data: { answer: 0, flagged: false } });
  expect(late.status()).toBe(409);
  expect(((await late.json()) as { error: string }).error).toMatch(/time is up/);
});

test('the KCNA practice exam: 60 questions weighted like the exam, submitted by the learner, kept in the history', async ({ page }) => {
  await page.goto('/exam/kcna/');
  await page.getByRole('button', { name: 'Start the exam' }).click();
  await expect(page.locator('.exam-question legend')).toHaveText('Question 1 of 60');
  await expect(page.locator('[data-timer]')).toHaveText(/^1:29:\d\d$|^1:30:00$/);
  for (let index = 0; index < 3; index += 1) {
    await page.locator('.exam-question input[type="radio"]').first().check();
    await page.getByRole('button', { name: 'Next →' }).click();
  }
  page.once('dialog', (dialog) => {
    expect(dialog.message()).toContain('57 questions are not answered');
    void dialog.accept();
  });
  await page.getByRole('button', { name: 'Submit the exam' }).click();
  const result = page.locator('[data-result]');
  await expect(result.getByRole('heading', { level: 2 })).toHaveText(/^Not passed yet: \d+(\.\d)?%$/);
  await expect(result.getByRole('img', { name: /Score by domain: Kubernetes Fundamentals \d+% \(\d+ of 26\); Container Orchestration \d+% \(\d+ of 17\); Cloud Native Application Delivery \d+% \(\d+ of 10\); Cloud Native Architecture \d+% \(\d+ of 7\)/ })).toBeVisible();
  await expect(result.locator('[data-study-next] li')).toHaveCount(3);
  await result.getByRole('link', { name: 'Your attempts over time' }).click();
  await expect(page.getByRole('status')).toHaveText(/^1 attempt; best \d/);
  await expect(page.getByRole('img', { name: /Score per attempt: Total/ })).toBeVisible();
});
