/**
 * Starts queued jobs at most `perSecond` a second, in order: 10,000 torrents starting together
 * look themselves up on the DHT over a few minutes rather than all in the same instant.
 */
export class Pacer {
  private readonly queue: Array<() => void> = [];
  private head = 0;
  private timer?: NodeJS.Timeout;
  private started = 0;

  constructor(private readonly perSecond: number) {}

  run(job: () => void): void {
    if (this.head >= this.queue.length && this.started < this.perSecond) {
      // a few at once (one torrent added by hand) start now
      this.started++;
      this.arm();
      start(job);
      return;
    }
    this.queue.push(job);
    this.arm();
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.pump(), 1000);
    this.timer.unref();
  }

  private pump(): void {
    this.started = 0;
    while (this.head < this.queue.length && this.started < this.perSecond) {
      this.started++;
      start(this.queue[this.head++]);
    }
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      if (this.started === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

function start(job: () => void): void {
  try {
    job();
  } catch {
    // a job handles its own failures; the others still run
  }
}
