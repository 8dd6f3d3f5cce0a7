import { Routes } from '@angular/router';

export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'torrents' },
  {
    path: 'torrents',
    title: 'Torrents · enjambre',
    loadComponent: () => import('./torrents/torrent-list').then((m) => m.TorrentList),
  },
  {
    path: 'torrents/:id',
    title: 'Torrent · enjambre',
    loadComponent: () => import('./detail/torrent-detail').then((m) => m.TorrentDetail),
  },
  {
    path: 'catalog',
    title: 'Catalog · enjambre',
    loadComponent: () => import('./catalog/catalog').then((m) => m.Catalog),
  },
  {
    path: 'share',
    title: 'Share · enjambre',
    loadComponent: () => import('./share/share').then((m) => m.Share),
  },
  {
    path: 'settings',
    title: 'Settings · enjambre',
    loadComponent: () => import('./settings/settings').then((m) => m.SettingsPage),
  },
  { path: '**', redirectTo: 'torrents' },
];
