import { type ReactNode, useEffect, useRef, useState } from 'react';

/** Props of {@link VirtualList}. */
export interface VirtualListProps<T> {
  items: readonly T[];
  /** Height of every row in pixels (fixed, so the window is computed, not measured). */
  rowHeight: number;
  /** Rows rendered above and below the visible ones. @default 8 */
  overscan?: number;
  renderRow: (item: T, index: number) => ReactNode;
  getKey: (item: T, index: number) => string;
  /** Accessible name of the list. */
  label: string;
  className?: string;
  /** Keep the end in view as rows arrive, unless the reader scrolled up. @default false */
  follow?: boolean;
  /** Called when the last rows come into view (to load the next page). */
  onEndReached?: () => void;
}

/** A list that renders only the rows in view, so 10,000 entries cost what 30 do. */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight, overscan = 8 } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight || 600));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const atEnd = useRef(true);
  // Where following last scrolled to: its scroll event may arrive after more rows were added,
  // and must not read as the reader scrolling away from the end.
  const pinned = useRef(Number.POSITIVE_INFINITY);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll when the number of rows changes
  useEffect(() => {
    const element = ref.current;
    if (props.follow && element && atEnd.current) {
      element.scrollTop = element.scrollHeight;
      pinned.current = element.scrollTop;
    }
  }, [items.length, props.follow]);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const { onEndReached } = props;
  useEffect(() => {
    if (onEndReached && items.length && last >= items.length - overscan) onEndReached();
  }, [onEndReached, last, items.length, overscan]);
  const rows: ReactNode[] = [];
  for (let index = first; index < last; index++) {
    const item = items[index] as T;
    rows.push(
      <li
        key={props.getKey(item, index)}
        className="vrow"
        style={{ position: 'absolute', top: index * rowHeight, height: rowHeight, left: 0, right: 0 }}
      >
        {props.renderRow(item, index)}
      </li>,
    );
  }
  return (
    <div
      ref={ref}
      className={`vlist ${props.className ?? ''}`}
      onScroll={(event) => {
        const element = event.currentTarget;
        atEnd.current =
          element.scrollTop >= pinned.current - 1 ||
          element.scrollTop + element.clientHeight >= element.scrollHeight - rowHeight;
        if (!atEnd.current) pinned.current = Number.POSITIVE_INFINITY;
        setScrollTop(element.scrollTop);
      }}
    >
      <ul
        aria-label={props.label}
        data-count={items.length}
        style={{
          position: 'relative',
          height: items.length * rowHeight,
          margin: 0,
          padding: 0,
          listStyle: 'none',
        }}
      >
        {rows}
      </ul>
    </div>
  );
}
