import { formatMagnet, magnetFromMetainfo } from '@enjambre/bittorrent';
import { formatBytes } from './format';
import { Output } from './output';
import { loadSource } from './source';

/** `enjambre info`: what a torrent or magnet link holds, as `transmission-show` prints it. */
export async function infoCommand(arg: string, out: Output): Promise<void> {
  const src = await loadSource(arg);
  if (src.kind === 'magnet') {
    const m = src.magnet;
    out.record({
      kind: 'magnet',
      name: m.name ?? null,
      infoHash: m.infoHash,
      trackers: m.trackers,
      webSeeds: m.webSeeds,
      magnet: formatMagnet(m),
    });
    out.line(`Name: ${m.name ?? '(unknown until the metadata arrives)'}`);
    out.line(`Hash: ${m.infoHash}`);
    out.line('');
    out.line('TRACKERS');
    for (const t of m.trackers) out.line(`  ${t}`);
    if (m.webSeeds.length) {
      out.line('');
      out.line('WEBSEEDS');
      for (const w of m.webSeeds) out.line(`  ${w}`);
    }
    return;
  }
  const m = src.metainfo;
  const files = m.files.filter((f) => !f.pad);
  out.record({
    kind: 'torrent',
    name: m.name,
    infoHash: m.infoHash,
    size: m.totalLength,
    pieceLength: m.pieceLength,
    pieceCount: m.pieceCount,
    private: m.private,
    hybrid: m.hybrid,
    format: m.metaVersion === 1 ? 'v1' : m.hybrid ? 'hybrid' : 'v2',
    infoHashV2: m.infoHashV2 ?? null,
    comment: m.comment ?? null,
    createdBy: m.createdBy ?? null,
    creationDate: m.creationDate ?? null,
    trackers: m.announce,
    webSeeds: m.urlList,
    files: files.map((f) => ({ path: f.path.join('/'), length: f.length })),
    sanitized: m.sanitized,
    magnet: magnetFromMetainfo(m),
  });
  out.line(`Name: ${m.name}`);
  out.line(`File: ${src.file}`);
  out.line('');
  out.line('GENERAL');
  out.line('');
  out.line(`  Name: ${m.name}`);
  out.line(`  Hash: ${m.infoHash}`);
  if (m.infoHashV2) out.line(`  Hash v2: ${m.infoHashV2}`);
  out.line(`  Format: ${m.metaVersion === 1 ? 'v1' : m.hybrid ? 'hybrid (v1 + v2)' : 'v2'}`);
  out.line(`  Created by: ${m.createdBy ?? 'Unknown'}`);
  out.line(
    `  Created on: ${m.creationDate !== undefined ? new Date(m.creationDate * 1000).toUTCString() : 'Unknown'}`,
  );
  if (m.comment) out.line(`  Comment: ${m.comment}`);
  out.line(`  Piece Count: ${m.pieceCount}`);
  out.line(`  Piece Size: ${formatBytes(m.pieceLength)}`);
  out.line(`  Total Size: ${formatBytes(m.totalLength)} (${m.totalLength} bytes)`);
  out.line(`  Privacy: ${m.private ? 'Private torrent' : 'Public torrent'}`);
  out.line('');
  out.line('TRACKERS');
  m.announce.forEach((tier, i) => {
    out.line('');
    out.line(`  Tier #${i + 1}`);
    for (const url of tier) out.line(`  ${url}`);
  });
  if (m.urlList.length) {
    out.line('');
    out.line('WEBSEEDS');
    out.line('');
    for (const w of m.urlList) out.line(`  ${w}`);
  }
  if (m.sanitized.length) {
    // names the torrent carries that would be unsafe or clash on disk, and what they became
    out.line('');
    out.line('SANITIZED');
    out.line('');
    for (const s of m.sanitized) {
      const why = s.reason === 'duplicate' ? 'renamed: another file has that path' : 'unsafe name';
      out.line(
        `  ${s.field}: ${JSON.stringify(s.original)} -> ${JSON.stringify(s.stored)} (${why})`,
      );
    }
  }
  out.line('');
  out.line('FILES');
  out.line('');
  for (const f of files) {
    const path = m.multiFile ? [m.name, ...f.path].join('/') : f.path.join('/');
    out.line(`  ${path} (${formatBytes(f.length)})`);
  }
}
