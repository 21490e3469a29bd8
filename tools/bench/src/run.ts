import { readdirSync } from 'node:fs';
import { join } from 'node:path';

// Runs one benchmark: `npm run bench -- NAME` loads src/benchmarks/NAME.ts, whose default export
// runs the measurements and returns true when every target is met.

const directory = join(import.meta.dirname, 'benchmarks');
const available = readdirSync(directory).filter((file) => file.endsWith('.ts')).map((file) => file.slice(0, -3)).sort();
const name = process.argv[2];

if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME, where NAME is one of: ${available.join(', ')}`);
  process.exit(2);
}

const module = (await import(join(directory, `${name}.ts`))) as { default: () => Promise<boolean> };
const met = await module.default();
console.log(met ? `${name}: every target met` : `${name}: some targets missed`);
process.exit(met ? 0 : 1);
