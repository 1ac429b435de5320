import { main } from './main.js';

// Entry for running the CLI from source (npm run dev); bin/verdict.js runs the compiled main.
process.exitCode = await main(process.argv);
