import type { BridgeState, Category } from '../daemon/state';
import { RpcError } from './errors';

const MAX_LABELS = 1000;
const MAX_NAME = 255;

/**
 * The user's categories and tags (qBittorrent's; tags are Transmission's labels too). The list of
 * names lives here and in the bridge's LevelDB; which torrent has which lives in its record.
 */
export class Labels {
  private categories = new Map<string, Category>();
  private tagSet = new Set<string>();

  constructor(private readonly state: BridgeState) {}

  async load(): Promise<void> {
    this.categories = new Map((await this.state.getCategories()).map((c) => [c.name, c]));
    this.tagSet = new Set(await this.state.getTags());
  }

  listCategories(): Category[] {
    return [...this.categories.values()];
  }

  category(name: string): Category | undefined {
    return this.categories.get(name);
  }

  listTags(): string[] {
    return [...this.tagSet];
  }

  async putCategory(name: string, savePath: string, mustBeNew: boolean): Promise<void> {
    checkCategoryName(name);
    if (mustBeNew && this.categories.has(name)) throw new RpcError(409, 'category exists');
    if (!mustBeNew && !this.categories.has(name)) throw new RpcError(409, 'no such category');
    if (!this.categories.has(name) && this.categories.size >= MAX_LABELS) {
      throw new RpcError(409, `at most ${MAX_LABELS} categories`);
    }
    this.categories.set(name, { name, savePath });
    await this.state.putCategories(this.listCategories());
  }

  /** Creates the category if it is missing (adding a torrent with a new category does). */
  async ensureCategory(name: string): Promise<void> {
    if (!this.categories.has(name)) await this.putCategory(name, '', true);
  }

  async removeCategories(names: string[]): Promise<void> {
    for (const n of names) this.categories.delete(n);
    await this.state.putCategories(this.listCategories());
  }

  async addTags(tags: string[]): Promise<void> {
    const fresh = tags.filter((t) => !this.tagSet.has(t));
    if (fresh.length === 0) return;
    for (const t of fresh) checkTag(t);
    if (this.tagSet.size + fresh.length > MAX_LABELS) {
      throw new RpcError(409, `at most ${MAX_LABELS} tags`);
    }
    for (const t of fresh) this.tagSet.add(t);
    await this.state.putTags(this.listTags());
  }

  async removeTags(tags: string[]): Promise<void> {
    for (const t of tags) this.tagSet.delete(t);
    await this.state.putTags(this.listTags());
  }
}

export function checkCategoryName(name: string): void {
  // qBittorrent: subcategories with '/', no empty parts, no leading or trailing slash.
  if (
    name.length === 0 ||
    name.length > MAX_NAME ||
    name.split('/').some((p) => p.trim() === '' || p === '.' || p === '..') ||
    name.includes('\\') ||
    hasControl(name)
  ) {
    throw new RpcError(400, `invalid category name: ${JSON.stringify(name.slice(0, 80))}`);
  }
}

export function checkTag(tag: string): void {
  if (tag.trim() === '' || tag.length > MAX_NAME || tag.includes(',') || hasControl(tag)) {
    throw new RpcError(400, `invalid tag: ${JSON.stringify(tag.slice(0, 80))}`);
  }
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

/** "a, b,c" → ['a', 'b', 'c'] as qBittorrent splits its comma lists; empty parts dropped. */
export function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}
