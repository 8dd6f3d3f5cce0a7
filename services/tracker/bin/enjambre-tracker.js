#!/usr/bin/env node
// Committed launcher, so that npm links the `enjambre-tracker` bin at install time (npm skips
// bins whose target does not exist yet, and dist/ only exists after `npm run build`).
require('../dist/cli.js').run();
