/** Where commands write: a line of JSON per event with --json, human text otherwise. */
export interface Output {
  json: boolean;
  /** Human-readable line (skipped with --json). */
  line(text: string): void;
  /** Machine-readable record (only with --json). */
  record(obj: object): void;
}

export function output(json: boolean): Output {
  return {
    json,
    line: (text) => {
      if (!json) process.stdout.write(text + '\n');
    },
    record: (obj) => {
      if (json) process.stdout.write(JSON.stringify(obj) + '\n');
    },
  };
}
