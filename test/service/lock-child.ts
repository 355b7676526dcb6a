// A second process for open.test.ts: says "ready", waits for a line on stdin, tries to open the workspace folder
// named by argv[2], prints "ok" or the error message, and keeps the workspace until its stdin ends.
import { createInterface } from 'node:readline'
import { openWorkspaceFolder } from '../../src-main/service/workspace'

const lines = createInterface({ input: process.stdin })
lines.once('line', () => {
  let release = (): void => undefined
  try {
    const ws = openWorkspaceFolder(process.argv[2])
    release = () => {
      ws.db.close()
      ws.release()
    }
    process.stdout.write('ok\n')
  } catch (e) {
    process.stdout.write(`${e instanceof Error ? e.message : String(e)}\n`)
  }
  lines.once('close', release)
})
process.stdout.write('ready\n')
