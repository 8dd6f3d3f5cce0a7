export { Lsd, LSD_INTERVAL_MS, type LsdOptions, type LsdEvents, type LsdStats } from './lsd';
export {
  formatLsdAnnounce,
  parseLsdAnnounce,
  LSD_GROUP4,
  LSD_GROUP6,
  LSD_PORT,
  type LsdAnnounce,
} from './message';
