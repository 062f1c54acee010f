// The security suites' table: an attack is a test declared with `report.attack(...)`, named in
// words; its outcome is whether that test (the attack, and the assertions that it is refused)
// passed. The table is printed with the server's memory and event-loop lag before and after the
// suite (what the attacks cost the server), and written to test-results/ for the closing note.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, type TestOptions, test } from 'node:test';
import { projectRoot } from '../paths.ts';
import type { Platform } from './platform.ts';

/** What afterEach is handed: Node sets `passed` (since v21.7), which @types/node does not declare yet. */
type FinishedTest = { readonly name: string; readonly passed?: boolean };

type ServerLoad = { rssMiB: number; lagP99Ms: number };

async function serverLoad(platform: Platform, token: string): Promise<ServerLoad> {
  const answer = await fetch(`${platform.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (!answer.ok) throw new Error(`GET /metrics answered ${answer.status}`);
  const text = await answer.text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rssMiB: value('cnlab_process_resident_memory_bytes') / 2 ** 20, lagP99Ms: value('cnlab_nodejs_eventloop_lag_p99_seconds') * 1000 };
}

const describeLoad = (load: ServerLoad) => `RSS ${load.rssMiB.toFixed(0)} MiB, event-loop lag p99 ${load.lagP99Ms.toFixed(1)} ms`;

export class AttackReport {
  readonly #suite: string;
  readonly #attacks = new Set<string>();
  readonly #rows: Array<{ attack: string; refused: boolean }> = [];
  #server: { platform: Platform; token: string; before: ServerLoad; latest: ServerLoad } | undefined;

  constructor(suite: string) {
    this.#suite = suite;
  }

  /** A test that is an attack: it passes when the attack is refused. */
  attack(name: string, options: TestOptions, fn: (t: TestContext) => Promise<void>): void;
  attack(name: string, fn: (t: TestContext) => Promise<void>): void;
  attack(name: string, ...rest: [TestOptions, (t: TestContext) => Promise<void>] | [(t: TestContext) => Promise<void>]): void {
    this.#attacks.add(name);
    if (rest.length === 2) test(name, ...rest);
    else test(name, ...rest);
  }

  /** Call once the suite's platform runs: the "before" figures (its metrics token read through the CLI). */
  async start(platform: Platform): Promise<void> {
    const token = (await platform.cli('metrics-token')).stdout.trim();
    const before = await serverLoad(platform, token);
    this.#server = { platform, token, before, latest: before };
  }

  /** For `afterEach`: records the test that just ran, if it is an attack, and the server's figures. */
  async record(t: FinishedTest): Promise<void> {
    if (this.#attacks.has(t.name)) this.#rows.push({ attack: t.name, refused: t.passed === true });
    const server = this.#server;
    // A suite's last test may stop the server: the last figures read while it answered stand.
    if (server) server.latest = await serverLoad(server.platform, server.token).catch(() => server.latest);
  }

  /** Prints the table and writes it to test-results/attacks-<suite>.md. */
  async finish(): Promise<void> {
    const refused = this.#rows.filter((row) => row.refused).length;
    const lines = [
      `## ${this.#suite}: ${refused} of ${this.#rows.length} attacks refused`,
      '',
      '| attack | outcome |',
      '|---|---|',
      ...this.#rows.map((row) => `| ${row.attack.replaceAll('|', '\\|')} | ${row.refused ? 'refused' : '**got through**'} |`),
      '',
      this.#server ? `Server before the attacks: ${describeLoad(this.#server.before)}; after: ${describeLoad(this.#server.latest)}.` : 'The server did not start.',
    ];
    const text = lines.join('\n');
    console.log(`\n${text}\n`);
    const dir = join(projectRoot, 'test-results');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `attacks-${this.#suite.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.md`), `${text}\n`);
  }
}
