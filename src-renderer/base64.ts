// A file's bytes as base64 for the contract's import request (the renderer has no file paths, and decoding the file
// here would turn invalid UTF-8 into U+FFFD before the importer could report it).

/** Bytes per btoa call: a multiple of 3, so the pieces join into one valid base64 string with no inner padding. */
const CHUNK = 3 * 8 * 1024

export function bytesToBase64(bytes: Uint8Array): string {
  // Uint8Array.prototype.toBase64 (TC39, in recent Chromium) does it in one native pass; Node 20 (the tests) lacks it.
  const native = (bytes as Uint8Array & { toBase64?: () => string }).toBase64
  if (typeof native === 'function') return native.call(bytes)
  const parts: string[] = []
  for (let i = 0; i < bytes.length; i += CHUNK) {
    // fromCharCode with a spread of 24 Ki arguments stays well under the engines' argument limits.
    parts.push(btoa(String.fromCharCode(...bytes.subarray(i, i + CHUNK))))
  }
  return parts.join('')
}

/** What the import dialog sends: the file's name and its bytes, untouched. */
export async function fileForImport(f: Blob & { name: string }): Promise<{ name: string; bytes: string }> {
  return { name: f.name, bytes: bytesToBase64(new Uint8Array(await f.arrayBuffer())) }
}
