import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { SpeedSample } from '../state/speed-history';
import { formatRate } from '../util/format';

const W = 600;
const H = 160;

/** Round a maximum up to 1, 2 or 5 × a power of 1024-ish bytes, so the axis reads well. */
export function niceMax(max: number): number {
  if (max <= 0) return 1024;
  const exp = Math.floor(Math.log10(max));
  const base = 10 ** exp;
  for (const m of [1, 2, 5, 10]) if (max <= m * base) return m * base;
  return 10 * base;
}

/** Points of an SVG polyline for values over time, scaled into the chart's box. */
export function linePoints(
  samples: readonly SpeedSample[],
  pick: (s: SpeedSample) => number,
  max: number,
  span: number,
): string {
  if (samples.length === 0) return '';
  const end = samples[samples.length - 1].t;
  return samples
    .map((s) => {
      const x = W - ((end - s.t) / span) * W;
      const y = H - (pick(s) / max) * (H - 4);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

/** Download and upload speed over the last minutes, drawn as two lines. */
@Component({
  selector: 'ej-speed-chart',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <figure>
      <div class="legend">
        <span class="down"><i></i>Download {{ lastDown() }}</span>
        <span class="up"><i></i>Upload {{ lastUp() }}</span>
        <span class="muted span">last {{ spanLabel() }}</span>
      </div>
      <div class="plot">
        <span class="max muted">{{ maxLabel() }}</span>
        <svg
          [attr.viewBox]="'0 0 ' + width + ' ' + height"
          preserveAspectRatio="none"
          role="img"
          [attr.aria-label]="'Speed chart: download ' + lastDown() + ', upload ' + lastUp()"
        >
          <line
            x1="0"
            [attr.x2]="width"
            [attr.y1]="height / 2"
            [attr.y2]="height / 2"
            class="grid"
          />
          <line x1="0" [attr.x2]="width" y1="4" y2="4" class="grid" />
          @if (downArea()) {
            <polygon [attr.points]="downArea()" class="area-down" />
          }
          <polyline [attr.points]="downPoints()" class="line-down" />
          <polyline [attr.points]="upPoints()" class="line-up" />
        </svg>
      </div>
    </figure>
  `,
  styles: `
    figure {
      margin: 0;
    }
    .legend {
      display: flex;
      gap: 18px;
      font-size: 0.88em;
      font-weight: 600;
      margin-bottom: 8px;
      flex-wrap: wrap;
    }
    .legend i {
      display: inline-block;
      width: 10px;
      height: 3px;
      border-radius: 2px;
      background: currentColor;
      margin-right: 6px;
      vertical-align: middle;
    }
    .span {
      margin-left: auto;
      font-weight: 400;
    }
    .plot {
      position: relative;
    }
    .max {
      position: absolute;
      top: -2px;
      left: 4px;
      font-size: 0.75em;
    }
    svg {
      display: block;
      width: 100%;
      height: 160px;
      border-bottom: 1px solid var(--border);
    }
    .grid {
      stroke: var(--border);
      stroke-dasharray: 4 4;
      vector-effect: non-scaling-stroke;
    }
    polyline {
      fill: none;
      stroke-width: 2;
      vector-effect: non-scaling-stroke;
      stroke-linejoin: round;
    }
    .line-down {
      stroke: var(--down);
    }
    .line-up {
      stroke: var(--up);
    }
    .area-down {
      fill: var(--down);
      opacity: 0.12;
    }
  `,
})
export class SpeedChart {
  readonly samples = input.required<readonly SpeedSample[]>();
  protected readonly width = W;
  protected readonly height = H;

  /** Show at least one minute so the first seconds do not stretch across the chart. */
  private readonly span = computed(() => {
    const s = this.samples();
    if (s.length < 2) return 60_000;
    return Math.max(60_000, s[s.length - 1].t - s[0].t);
  });
  private readonly max = computed(() =>
    niceMax(Math.max(0, ...this.samples().map((s) => Math.max(s.down, s.up)))),
  );
  protected readonly downPoints = computed(() =>
    linePoints(this.samples(), (s) => s.down, this.max(), this.span()),
  );
  protected readonly upPoints = computed(() =>
    linePoints(this.samples(), (s) => s.up, this.max(), this.span()),
  );
  protected readonly downArea = computed(() => {
    const pts = this.downPoints();
    if (!pts) return '';
    const first = pts.split(' ')[0].split(',')[0];
    return `${first},${H} ${pts} ${W},${H}`;
  });
  protected readonly maxLabel = computed(() => formatRate(this.max()));
  protected readonly lastDown = computed(() => formatRate(this.samples().at(-1)?.down));
  protected readonly lastUp = computed(() => formatRate(this.samples().at(-1)?.up));
  protected readonly spanLabel = computed(() => {
    const minutes = Math.round(this.span() / 60_000);
    return minutes <= 1 ? 'minute' : `${minutes} minutes`;
  });
}
