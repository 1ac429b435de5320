import { writeExample } from './example.js';

/** `npm run patroni:example`: renders deploy/patroni/example/ from the generator. */
const dir = process.argv[2] ?? 'deploy/patroni/example';
const written = await writeExample(dir);
process.stdout.write(`wrote ${written.length} files to ${dir}: ${written.join(', ')}\n`);
