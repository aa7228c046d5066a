#!/usr/bin/env node
// A committed shim, so that npm can link the `ipgate` bin before `prepare` has built dist/.
import '../dist/bin.js';
