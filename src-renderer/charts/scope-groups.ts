// One colour and one name per scope group, shared by the tuning histograms and the allocation map.
import type { ScopeGroup } from '../../src-preload/contract'

export const GROUP_COLORS: Record<ScopeGroup, string> = { edit: '#2f6fed', rephrase: '#1c8a4c', unrelated: '#b86e00' }
export const GROUP_LABELS: Record<ScopeGroup, string> = { edit: 'Edit prompts', rephrase: 'Rephrases', unrelated: 'Unrelated' }
