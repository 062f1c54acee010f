// Prints one line totalling both test runners, so a reader (or CI) sees the whole result at once.
import { readFileSync } from 'node:fs';

const [tapFile, playwrightFile] = process.argv.slice(2) as [string, string];
const tap = readFileSync(tapFile, 'utf8');
const count = (name: string) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
let passed = count('pass');
let failed = count('fail') + count('cancelled');
try {
  const { stats } = JSON.parse(readFileSync(playwrightFile, 'utf8')) as { stats: { expected: number; unexpected: number; flaky: number } };
  passed += stats.expected + stats.flaky;
  failed += stats.unexpected;
} catch {
  failed += 1; // no e2e report means the e2e run itself broke
}
console.log(`tests: ${passed} passed, ${failed} failed`);
