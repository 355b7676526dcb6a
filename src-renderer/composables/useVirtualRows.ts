// Windowed rendering for long tables: only the rows in (and just around) the viewport exist in the DOM, so a
// 10,000-row queue costs as much as a 40-row one. Rows have one fixed height.
import { computed, onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

export function useVirtualRows(count: Ref<number>, rowHeight: number, overscan = 10) {
  const viewport = ref<HTMLElement | null>(null)
  const scrollTop = ref(0)
  /** Viewport height in px; a guess until the first measurement. */
  const height = ref(640)
  let observer: ResizeObserver | null = null
  let frame = 0

  function onScroll(): void {
    if (frame) return
    frame = requestAnimationFrame(() => {
      frame = 0
      scrollTop.value = viewport.value?.scrollTop ?? 0
    })
  }

  onMounted(() => {
    const el = viewport.value
    if (!el) return
    if (el.clientHeight > 0) height.value = el.clientHeight
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => {
        if (el.clientHeight > 0) height.value = el.clientHeight
      })
      observer.observe(el)
    }
  })
  onBeforeUnmount(() => {
    observer?.disconnect()
    if (frame) cancelAnimationFrame(frame)
  })

  const start = computed(() => Math.max(0, Math.min(Math.floor(scrollTop.value / rowHeight) - overscan, count.value)))
  const end = computed(() => Math.min(count.value, Math.ceil((scrollTop.value + height.value) / rowHeight) + overscan))
  const totalHeight = computed(() => count.value * rowHeight)
  const offset = computed(() => start.value * rowHeight)

  /** Scrolls so that row `index` is visible. */
  function scrollToIndex(index: number): void {
    const el = viewport.value
    if (!el) return
    const top = index * rowHeight
    if (top < el.scrollTop) el.scrollTop = top
    else if (top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + rowHeight - el.clientHeight
    scrollTop.value = el.scrollTop
  }

  return { viewport, onScroll, start, end, totalHeight, offset, scrollToIndex }
}
