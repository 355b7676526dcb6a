// The browser's download of a file: how the renderer (which has no file system) saves CSV and PNG exports.

/** Saves text or a data URL as a file through the browser's download (the renderer has no file system). */
export function download(name: string, content: string, type = 'text/csv'): void {
  const url = content.startsWith('data:') ? content : URL.createObjectURL(new Blob([content], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  if (!content.startsWith('data:')) setTimeout(() => URL.revokeObjectURL(url), 0)
}
