/** A thin rune wrapper over @tanstack/virtual-core: only the rows in view (plus overscan) exist
 * in the DOM, so 10,000 sessions or 5,000 messages scroll as smoothly as 50. Rows are measured
 * as they render (messages vary in height). Positions are set through the CSSOM (Svelte's
 * `style:` directive), which the CSP allows; no style attribute is ever written.
 *
 * Sizes come only from the ResizeObserver, which reports every new row once, after layout and
 * before paint, all rows in one batch. Measuring each row as it mounts (offsetHeight) forced a
 * layout per row, and each measurement could move the scroll position (a write) before the next
 * read: a screen of messages paid a dozen layouts where one does (the profile of a deep link).
 */
import {
  Virtualizer,
  elementScroll,
  measureElement,
  observeElementOffset,
  observeElementRect,
  type VirtualItem,
} from "@tanstack/virtual-core";

export interface VirtualOptions {
  estimateSize: (index: number) => number;
  getItemKey?: (index: number) => string | number;
  overscan?: number;
  paddingEnd?: number;
  /** Where the list starts scrolled to, read when it first lays out its rows: a list opened at
   * row n renders the rows around n at once, not the top rows first. */
  initialOffset?: () => number;
  /** Wait for `ready()` before reading the scrolling element's size and scroll position, and
   * lay out the first rows by `initialSize` (its height: at most the window's) instead.
   * Attaching reads layout (the element's size, its scroll height) and writes its scroll
   * position: done when the element mounts, that forced a layout of the page without its rows,
   * and another once they had rendered. Waiting, the first rows render, then one layout. */
  waitForReady?: boolean;
}

/** The scrolling element's size until it is measured: the window's (an upper bound). */
function windowSize(): { width: number; height: number } {
  return typeof window === "undefined" ? { width: 0, height: 0 } : { width: window.innerWidth, height: window.innerHeight };
}

/** A row's size as the ResizeObserver reported it; when the row is only being registered (no
 * entry), what is known already (its last size, or the estimate), so nothing forces a layout. */
function observedSize(element: HTMLElement, entry: ResizeObserverEntry | undefined, instance: Virtualizer<HTMLElement, HTMLElement>): number {
  if (entry) return measureElement(element, entry, instance);
  const index = instance.indexFromElement(element);
  return instance.itemSizeCache.get(instance.options.getItemKey(index)) ?? instance.options.estimateSize(index);
}

export class VirtualRows {
  items = $state<VirtualItem[]>([]);
  totalSize = $state(0);
  readonly virtualizer: Virtualizer<HTMLElement, HTMLElement>;
  private element: HTMLElement | null = null;
  private cleanup: (() => void) | null = null;
  private isReady: boolean;

  constructor(options: VirtualOptions) {
    this.isReady = !options.waitForReady;
    this.virtualizer = new Virtualizer<HTMLElement, HTMLElement>({
      count: 0,
      // Until ready, no element: the virtualizer lays rows out by initialRect and reads nothing.
      getScrollElement: () => (this.isReady ? this.element : null),
      initialRect: options.waitForReady ? windowSize() : { width: 0, height: 0 },
      estimateSize: options.estimateSize,
      getItemKey: options.getItemKey,
      overscan: options.overscan ?? 6,
      paddingEnd: options.paddingEnd ?? 0,
      initialOffset: options.initialOffset ?? 0,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      measureElement: observedSize,
      onChange: (instance) => {
        this.items = instance.getVirtualItems();
        this.totalSize = instance.getTotalSize();
      },
    });
  }

  /** Svelte action for the scrolling element. */
  attach = (node: HTMLElement): { destroy: () => void } => {
    this.element = node;
    this.cleanup = this.virtualizer._didMount();
    if (this.isReady) this.virtualizer._willUpdate();
    this.refresh();
    return {
      destroy: () => {
        this.cleanup?.();
        this.element = null;
      },
    };
  };

  /** Svelte action for each row: observed for its real height (reported by the ResizeObserver). */
  measure = (node: HTMLElement): void => {
    queueMicrotask(() => {
      if (node.isConnected) this.virtualizer.measureElement(node);
    });
  };

  setCount(count: number): void {
    if (this.virtualizer.options.count === count) return;
    this.virtualizer.setOptions({ ...this.virtualizer.options, count });
    this.virtualizer._willUpdate();
    this.refresh();
  }

  refresh(): void {
    this.items = this.virtualizer.getVirtualItems();
    this.totalSize = this.virtualizer.getTotalSize();
  }

  /** With `waitForReady`: the first rows are in the DOM; from now on the list follows its
   * element (its size, its scrolling). Does nothing the second time. */
  ready(): void {
    if (this.isReady) return;
    this.isReady = true;
    this.virtualizer._willUpdate();
    this.refresh();
  }

  /** Rows rendered beyond each end of the view. A view that wants its first screen fast starts
   * at 0 (only the rows in view, and their content, in the task before the first paint) and
   * raises it once that screen is up. */
  setOverscan(overscan: number): void {
    if (this.virtualizer.options.overscan === overscan) return;
    this.virtualizer.setOptions({ ...this.virtualizer.options, overscan });
    this.refresh();
  }

  scrollToIndex(index: number, align: "start" | "center" | "end" | "auto" = "auto"): void {
    this.virtualizer.scrollToIndex(index, { align });
  }
}
