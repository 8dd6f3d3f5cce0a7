import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { TokenService } from './token';
import type {
  AddOptions,
  AddSource,
  BridgeStatus,
  CatalogResponse,
  DiscoveryStatus,
  FilePriority,
  FileStatus,
  FsListing,
  Labels,
  PeerStatus,
  RemoteControl,
  PieceMap,
  Settings,
  SettingsChange,
  ShareJob,
  ShareRequest,
  TorrentStatus,
  TrackerHealth,
  TrackerStatus,
} from './types';

/**
 * The bridge's REST API (client/bridge/API.md), one method per endpoint. Every method returns a
 * promise; failures reject with Angular's HttpErrorResponse (see describeError for the words).
 */
@Injectable({ providedIn: 'root' })
export class ApiService {
  private readonly http = inject(HttpClient);
  private readonly tokens = inject(TokenService);

  status(): Promise<BridgeStatus> {
    return firstValueFrom(this.http.get<BridgeStatus>('/api/status'));
  }

  torrents(): Promise<TorrentStatus[]> {
    return firstValueFrom(this.http.get<TorrentStatus[]>('/api/torrents'));
  }

  torrent(id: string): Promise<TorrentStatus> {
    return firstValueFrom(this.http.get<TorrentStatus>(`/api/torrents/${hash(id)}`));
  }

  add(source: AddSource, options: AddOptions = {}): Promise<TorrentStatus> {
    return firstValueFrom(
      this.http.post<TorrentStatus>('/api/torrents', { ...source, ...options }),
    );
  }

  async remove(id: string, deleteData: boolean): Promise<void> {
    const params = deleteData ? new HttpParams().set('deleteData', 'true') : undefined;
    await firstValueFrom(this.http.delete(`/api/torrents/${hash(id)}`, { params }));
  }

  pause(id: string): Promise<TorrentStatus> {
    return this.action(id, 'pause');
  }

  resume(id: string): Promise<TorrentStatus> {
    return this.action(id, 'resume');
  }

  recheck(id: string): Promise<TorrentStatus> {
    return this.action(id, 'recheck');
  }

  setSequential(id: string, sequential: boolean): Promise<TorrentStatus> {
    return firstValueFrom(
      this.http.put<TorrentStatus>(`/api/torrents/${hash(id)}/sequential`, { sequential }),
    );
  }

  files(id: string): Promise<FileStatus[]> {
    return firstValueFrom(this.http.get<FileStatus[]>(`/api/torrents/${hash(id)}/files`));
  }

  setFilePriority(id: string, index: number, priority: FilePriority): Promise<FileStatus> {
    return firstValueFrom(
      this.http.put<FileStatus>(`/api/torrents/${hash(id)}/files/${index}/priority`, { priority }),
    );
  }

  peers(id: string): Promise<PeerStatus[]> {
    return firstValueFrom(this.http.get<PeerStatus[]>(`/api/torrents/${hash(id)}/peers`));
  }

  trackers(id: string): Promise<TrackerStatus[]> {
    return firstValueFrom(this.http.get<TrackerStatus[]>(`/api/torrents/${hash(id)}/trackers`));
  }

  pieces(id: string): Promise<PieceMap> {
    return firstValueFrom(this.http.get<PieceMap>(`/api/torrents/${hash(id)}/pieces`));
  }

  share(request: ShareRequest): Promise<{ id: string }> {
    return firstValueFrom(this.http.post<{ id: string }>('/api/shares', request));
  }

  shareJob(id: string): Promise<ShareJob> {
    return firstValueFrom(this.http.get<ShareJob>(`/api/shares/${encodeURIComponent(id)}`));
  }

  catalog(query: {
    tracker?: string;
    search?: string;
    pageToken?: string;
  }): Promise<CatalogResponse> {
    let params = new HttpParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== '') params = params.set(k, v);
    }
    return firstValueFrom(this.http.get<CatalogResponse>('/api/catalog', { params }));
  }

  trackerHealth(): Promise<TrackerHealth[]> {
    return firstValueFrom(this.http.get<TrackerHealth[]>('/api/trackers'));
  }

  settings(): Promise<Settings> {
    return firstValueFrom(this.http.get<Settings>('/api/settings'));
  }

  discovery(): Promise<DiscoveryStatus> {
    return firstValueFrom(this.http.get<DiscoveryStatus>('/api/discovery'));
  }

  saveSettings(changes: SettingsChange): Promise<Settings> {
    return firstValueFrom(this.http.put<Settings>('/api/settings', changes));
  }

  labels(): Promise<Labels> {
    return firstValueFrom(this.http.get<Labels>('/api/labels'));
  }

  remoteControl(): Promise<RemoteControl> {
    return firstValueFrom(this.http.get<RemoteControl>('/api/remote-control'));
  }

  /** Own credentials for the remote-control APIs, or undefined to go back to the token. */
  async setRemoteCredentials(c: { username: string; password: string } | undefined): Promise<void> {
    await firstValueFrom(this.http.put('/api/remote-control/credentials', c ?? {}));
  }

  fs(path?: string): Promise<FsListing> {
    const params = path ? new HttpParams().set('path', path) : undefined;
    return firstValueFrom(this.http.get<FsListing>('/api/fs', { params }));
  }

  /** Links the browser follows itself: they carry the token as a query parameter. */
  torrentFileUrl(id: string): string {
    return this.tokens.withToken(`/api/torrents/${hash(id)}/torrent`);
  }

  streamUrl(id: string, index: number): string {
    return this.tokens.withToken(`/api/torrents/${hash(id)}/files/${index}/stream`);
  }

  private action(id: string, verb: 'pause' | 'resume' | 'recheck'): Promise<TorrentStatus> {
    return firstValueFrom(this.http.post<TorrentStatus>(`/api/torrents/${hash(id)}/${verb}`, {}));
  }
}

/** Info-hashes are hex; anything else is encoded so it cannot change the path. */
function hash(id: string): string {
  return encodeURIComponent(id);
}
