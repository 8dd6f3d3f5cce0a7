export interface SpeedSample {
  /** ms since the epoch */
  t: number;
  down: number;
  up: number;
}

/** A bounded list of speed samples per key (a torrent's info-hash, or '' for the total). */
export class SpeedHistory {
  private readonly series = new Map<string, SpeedSample[]>();

  constructor(private readonly limit = 300) {}

  add(key: string, sample: SpeedSample): void {
    let list = this.series.get(key);
    if (!list) {
      list = [];
      this.series.set(key, list);
    }
    list.push(sample);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
  }

  get(key: string): readonly SpeedSample[] {
    return this.series.get(key) ?? [];
  }

  delete(key: string): void {
    this.series.delete(key);
  }
}
