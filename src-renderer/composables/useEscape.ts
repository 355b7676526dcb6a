import { onBeforeUnmount, onMounted } from 'vue'

/** Calls `fn` on Escape while the component is mounted (dialogs). */
export function useEscape(fn: () => void): void {
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') fn()
  }
  onMounted(() => window.addEventListener('keydown', onKey))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey))
}
