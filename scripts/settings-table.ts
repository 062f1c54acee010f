// Writes the README's settings table from the settings schema (server/settings.ts):
// `node scripts/settings-table.ts`. server/settings.test.ts fails while they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../server/paths.ts';
import { replaceSettingsTable } from '../server/settings.ts';

const file = join(projectRoot, 'README.md');
const before = readFileSync(file, 'utf8');
const after = replaceSettingsTable(before);
if (after !== before) writeFileSync(file, after);
process.stdout.write(after === before ? 'README.md: the settings table is up to date\n' : 'README.md: settings table rewritten\n');
