#!/usr/bin/env node
// The nasrepro CLI. The sources are TypeScript run through tsx's loader, so the installed package
// needs no build step and a stack trace points at the .ts line.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
