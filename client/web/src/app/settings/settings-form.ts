import { parseTrackers } from '../add/validation';
import type { Settings, SettingsChange } from '../api/types';
import { dhtPortProblem, parseBootstrap } from './discovery-form';

/** The settings form as the user edits it: rates in KiB/s, trackers as text. */
export interface SettingsDraft {
  downloadDir: string;
  listenPort: string;
  maxPeers: string;
  uploadKib: string;
  downloadKib: string;
  trackers: string;
  dhtEnabled: boolean;
  dhtPort: string;
  /** One `host:port` per line. */
  dhtBootstrap: string;
  lsdEnabled: boolean;
}

export function toDraft(s: Settings): SettingsDraft {
  return {
    downloadDir: s.downloadDir,
    listenPort: String(s.listenPort),
    maxPeers: String(s.maxPeers),
    uploadKib: String(Math.round(s.uploadRateLimit / 1024)),
    downloadKib: String(Math.round(s.downloadRateLimit / 1024)),
    trackers: s.trackers.join('\n'),
    dhtEnabled: s.dhtEnabled,
    dhtPort: String(s.dhtPort),
    dhtBootstrap: s.dhtBootstrap.join('\n'),
    lsdEnabled: s.lsdEnabled,
  };
}

export type DraftProblems = Partial<Record<keyof SettingsDraft, string>>;

function wholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/** Checks a draft; returns the Settings to send, or what is wrong with each field. */
export function fromDraft(d: SettingsDraft): {
  settings?: Required<SettingsChange>;
  problems: DraftProblems;
} {
  const problems: DraftProblems = {};
  const downloadDir = d.downloadDir.trim();
  if (!downloadDir.startsWith('/')) problems.downloadDir = 'Use a full path, starting with "/".';
  const listenPort = wholeNumber(d.listenPort, 0, 65535);
  if (listenPort === undefined)
    problems.listenPort = 'A port is a number from 0 to 65535 (0 = any).';
  const maxPeers = wholeNumber(d.maxPeers, 1, 10000);
  if (maxPeers === undefined) problems.maxPeers = 'A number from 1 to 10000.';
  const up = wholeNumber(d.uploadKib, 0, 10_000_000);
  if (up === undefined) problems.uploadKib = 'KiB/s as a whole number; 0 means unlimited.';
  const down = wholeNumber(d.downloadKib, 0, 10_000_000);
  if (down === undefined) problems.downloadKib = 'KiB/s as a whole number; 0 means unlimited.';
  const trackers = parseTrackers(d.trackers);
  if (trackers.problem) problems.trackers = trackers.problem;
  const dhtPort = dhtPortProblem(d.dhtPort);
  if (dhtPort) problems.dhtPort = dhtPort;
  const bootstrap = parseBootstrap(d.dhtBootstrap);
  if (bootstrap.problem) problems.dhtBootstrap = bootstrap.problem;
  if (Object.keys(problems).length > 0) return { problems };
  return {
    problems,
    settings: {
      downloadDir,
      listenPort: listenPort!,
      maxPeers: maxPeers!,
      uploadRateLimit: up! * 1024,
      downloadRateLimit: down! * 1024,
      trackers: trackers.urls,
      dhtEnabled: d.dhtEnabled,
      dhtPort: Number(d.dhtPort),
      dhtBootstrap: bootstrap.nodes,
      lsdEnabled: d.lsdEnabled,
    },
  };
}
