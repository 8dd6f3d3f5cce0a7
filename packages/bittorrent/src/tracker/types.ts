/** Types shared by the HTTP and UDP tracker codecs. */

/** The announce `event`; `none` is a regular interval announce (absent/empty in HTTP, 0 in UDP). */
export type AnnounceEvent = 'none' | 'completed' | 'started' | 'stopped';

/** One torrent's counts in a scrape response. */
export interface ScrapeStats {
  /** Peers with the whole torrent (seeders). */
  complete: number;
  /** Times the torrent was downloaded completely (`completed` events). */
  downloaded: number;
  /** Peers still downloading (leechers). */
  incomplete: number;
}
