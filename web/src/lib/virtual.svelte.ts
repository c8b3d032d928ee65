/** A thin rune wrapper over @tanstack/virtual-core: only the rows in view (plus overscan) exist
 * in the DOM, so 10,000 sessions or 5,000 messages scroll as smoothly as 50. Rows are measured
 * as they render (messages vary in height). Positions are set through the CSSOM (Svelte's
 * `style:` directive), which the CSP allows; no style attribute is ever written.
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
}

export class VirtualRows {
  items = $state<VirtualItem[]>([]);
  totalSize = $state(0);
  readonly virtualizer: Virtualizer<HTMLElement, HTMLElement>;
  private element: HTMLElement | null = null;
  private cleanup: (() => void) | null = null;

  constructor(options: VirtualOptions) {
    this.virtualizer = new Virtualizer<HTMLElement, HTMLElement>({
      count: 0,
      getScrollElement: () => this.element,
      estimateSize: options.estimateSize,
      getItemKey: options.getItemKey,
      overscan: options.overscan ?? 6,
      paddingEnd: options.paddingEnd ?? 0,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      measureElement,
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
    this.virtualizer._willUpdate();
    this.refresh();
    return {
      destroy: () => {
        this.cleanup?.();
        this.element = null;
      },
    };
  };

  /** Svelte action for each row: measures its real height. */
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

  scrollToIndex(index: number, align: "start" | "center" | "end" | "auto" = "auto"): void {
    this.virtualizer.scrollToIndex(index, { align });
  }
}
