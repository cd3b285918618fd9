#!/usr/bin/env node
// Thin entry: run the TypeScript source through tsx in a checkout, the compiled
// build in an installed package. Parsing and everything else lives in src/cli.
import { launch } from './launch.js';

await launch('cli/main', (mod) => mod.main(process.argv.slice(2)));
