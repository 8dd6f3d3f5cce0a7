import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

/**
 * Line icons on a 24×24 grid, drawn for enjambre. Each is a list of SVG path strings stroked with
 * the current color, so an icon takes the color and size of the text around it.
 */
const ICONS: Record<string, string[]> = {
  logo: [
    'M12 3l7 4v8l-7 4-7-4V7z',
    'M12 8l3.5 2v4L12 16l-3.5-2v-4z',
    'M12 3v5M19 7l-3.5 3M19 15l-3.5-1M12 21v-5M5 15l3.5-1M5 7l3.5 3',
  ],
  list: ['M8 6h12M8 12h12M8 18h12', 'M4 6h.01M4 12h.01M4 18h.01'],
  catalog: [
    'M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4z',
    'M16.5 13.5a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM19 19l2 2',
  ],
  share: ['M12 15V3M7 8l5-5 5 5', 'M5 13v6a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-6'],
  settings: ['M4 7h10M18 7h2M4 17h4M12 17h8', 'M16 5v4M10 15v4'],
  plus: ['M12 5v14M5 12h14'],
  play: ['M8 5l11 7-11 7z'],
  pause: ['M8 5v14M16 5v14'],
  trash: ['M4 7h16M10 11v6M14 11v6', 'M6 7l1 13h10l1-13M9 7V4h6v3'],
  recheck: ['M20 12a8 8 0 1 1-2.3-5.7', 'M20 4v5h-5'],
  down: ['M12 4v15M6 13l6 6 6-6'],
  up: ['M12 20V5M6 11l6-6 6 6'],
  search: ['M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4'],
  close: ['M6 6l12 12M18 6L6 18'],
  check: ['M5 12l5 5 9-10'],
  copy: ['M9 9h11v11H9z', 'M5 15H4V4h11v1'],
  link: [
    'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1',
    'M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
  ],
  folder: ['M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z'],
  file: ['M6 3h8l4 4v14H6z', 'M14 3v4h4'],
  back: ['M15 5l-7 7 7 7'],
  chevron: ['M9 5l7 7-7 7'],
  download: ['M12 4v11M7 10l5 5 5-5', 'M5 20h14'],
  sequential: ['M4 6h6M4 12h10M4 18h16'],
  alert: ['M12 3l9 16H3z', 'M12 10v4M12 17h.01'],
  upload: ['M12 16V4M7 9l5-5 5 5', 'M5 20h14'],
  magnet: ['M6 4v8a6 6 0 0 0 12 0V4', 'M6 4h4v8a2 2 0 0 0 4 0V4h4M6 8h4M14 8h4'],
  server: ['M4 4h16v7H4zM4 13h16v7H4z', 'M8 7.5h.01M8 16.5h.01'],
  wifiOff: [
    'M3 3l18 18',
    'M8.5 16.5a5 5 0 0 1 7 0M5 12.5a10 10 0 0 1 4-2.3M12 20h.01',
    'M19 12.5a10 10 0 0 0-3-2',
  ],
  key: ['M8 11a4 4 0 1 0 0 8 4 4 0 0 0 0-8z', 'M11 13l9-9M17 7l3 3M15 9l2 2'],
  info: ['M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z', 'M12 11v6M12 7.5h.01'],
};

@Component({
  selector: 'ej-icon',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<svg
    viewBox="0 0 24 24"
    [attr.width]="size()"
    [attr.height]="size()"
    fill="none"
    stroke="currentColor"
    stroke-width="2"
    stroke-linecap="round"
    stroke-linejoin="round"
    aria-hidden="true"
    focusable="false"
  >
    @for (d of paths(); track $index) {
      <path [attr.d]="d" />
    }
  </svg>`,
  styles: `
    :host {
      display: inline-flex;
      flex: none;
      line-height: 0;
    }
  `,
})
export class Icon {
  readonly name = input.required<string>();
  readonly size = input(18);
  protected readonly paths = computed(() => ICONS[this.name()] ?? []);
}
