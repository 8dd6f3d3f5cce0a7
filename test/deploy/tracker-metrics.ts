// The metric families the tracker exports (the tracker's own and the replication plugin's), as
// agreed between the tracker and cluster work; tests compare dashboards and alerts against them.
export const trackerMetrics: { name: string; type: 'counter' | 'gauge' | 'histogram' }[] = [
  { name: 'enjambre_tracker_announces_total', type: 'counter' },
  { name: 'enjambre_tracker_scrapes_total', type: 'counter' },
  { name: 'enjambre_tracker_errors_total', type: 'counter' },
  { name: 'enjambre_tracker_request_duration_seconds', type: 'histogram' },
  { name: 'enjambre_tracker_torrents', type: 'gauge' },
  { name: 'enjambre_tracker_seeders', type: 'gauge' },
  { name: 'enjambre_tracker_leechers', type: 'gauge' },
  { name: 'enjambre_tracker_catalog_torrents', type: 'gauge' },
  { name: 'enjambre_tracker_persistence_duration_seconds', type: 'histogram' },
  { name: 'enjambre_tracker_replicas_known', type: 'gauge' },
  { name: 'enjambre_tracker_replicas_live', type: 'gauge' },
  { name: 'enjambre_tracker_replication_link_up', type: 'gauge' },
  { name: 'enjambre_tracker_refused_total', type: 'counter' },
  { name: 'enjambre_tracker_replication_messages_total', type: 'counter' },
  { name: 'enjambre_tracker_replication_bytes_total', type: 'counter' },
  { name: 'enjambre_tracker_replication_failures_total', type: 'counter' },
  { name: 'enjambre_tracker_replication_lag_seconds', type: 'histogram' },
];
