export { startDaemon, defaultDataDir, DEFAULT_API_PORT } from './daemon/daemon';
export type { DaemonOptions, RunningDaemon, DaemonFile } from './daemon/daemon';
export { main, buildProgram } from './cli';
