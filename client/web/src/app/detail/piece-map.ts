import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  effect,
  input,
  viewChild,
} from '@angular/core';

/** Decodes a base64 bitfield (MSB first) into one boolean per piece. */
export function decodeBitfield(base64: string, pieceCount: number): boolean[] {
  const bin = atob(base64);
  const out: boolean[] = new Array(pieceCount);
  for (let i = 0; i < pieceCount; i++) {
    const byte = bin.charCodeAt(i >> 3) || 0;
    out[i] = (byte & (0x80 >> (i & 7))) !== 0;
  }
  return out;
}

/**
 * Every piece of the torrent as a cell: filled when we have it. Large torrents merge several
 * pieces into one cell, shaded by how many of them we have.
 */
@Component({
  selector: 'ej-piece-map',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <canvas #canvas role="img" [attr.aria-label]="label()"></canvas>
    <p class="muted legend">
      <span class="have"></span> have <span class="missing"></span> missing · {{ label() }}
    </p>
  `,
  styles: `
    canvas {
      display: block;
      width: 100%;
      border-radius: 6px;
    }
    .legend {
      font-size: 0.85em;
      margin: 8px 0 0;
      display: flex;
      align-items: center;
      gap: 6px;
    }
    .legend span {
      display: inline-block;
      width: 10px;
      height: 10px;
      border-radius: 2px;
    }
    .have {
      background: var(--down);
    }
    .missing {
      background: var(--surface-2);
      border: 1px solid var(--border);
    }
  `,
})
export class PieceMap {
  readonly pieceCount = input.required<number>();
  readonly bitfield = input.required<string>();
  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('canvas');

  protected readonly pieces = computed(() => decodeBitfield(this.bitfield(), this.pieceCount()));
  protected readonly label = computed(() => {
    const have = this.pieces().filter(Boolean).length;
    return `${have} of ${this.pieceCount()} pieces`;
  });

  constructor() {
    effect(() => this.draw(this.pieces()));
  }

  private draw(pieces: boolean[]): void {
    const canvas = this.canvas().nativeElement;
    const ctx = canvas.getContext?.('2d');
    if (!ctx) return; // no canvas (e.g. in a test DOM)
    const cssWidth = canvas.clientWidth || 600;
    const ratio = window.devicePixelRatio || 1;
    const maxCells = 1200;
    const perCell = Math.max(1, Math.ceil(pieces.length / maxCells));
    const cells = Math.ceil(pieces.length / perCell);
    const size = Math.max(
      6,
      Math.min(14, Math.floor(Math.sqrt((cssWidth * 120) / Math.max(1, cells)))),
    );
    const gap = 2;
    const cols = Math.max(1, Math.floor((cssWidth + gap) / (size + gap)));
    const rows = Math.ceil(cells / cols);
    const cssHeight = rows * (size + gap);
    canvas.width = Math.round(cssWidth * ratio);
    canvas.height = Math.round(cssHeight * ratio);
    canvas.style.height = `${cssHeight}px`;
    ctx.scale(ratio, ratio);
    const style = getComputedStyle(canvas);
    const have = style.getPropertyValue('--down').trim() || '#1d5fd1';
    const missing = style.getPropertyValue('--surface-2').trim() || '#eee';
    for (let c = 0; c < cells; c++) {
      let count = 0;
      const from = c * perCell;
      const to = Math.min(pieces.length, from + perCell);
      for (let i = from; i < to; i++) if (pieces[i]) count++;
      const x = (c % cols) * (size + gap);
      const y = Math.floor(c / cols) * (size + gap);
      ctx.globalAlpha = 1;
      ctx.fillStyle = missing;
      ctx.fillRect(x, y, size, size);
      if (count > 0) {
        ctx.globalAlpha = 0.35 + (0.65 * count) / (to - from);
        ctx.fillStyle = have;
        ctx.fillRect(x, y, size, size);
      }
    }
    ctx.globalAlpha = 1;
  }
}
