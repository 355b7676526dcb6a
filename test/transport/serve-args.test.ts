// `elder serve` options: defaults, validation, and unknown flags refused with a usage error.
import { describe, expect, it } from 'vitest'
import { DEFAULT_PORT, parseServeArgs, ServeUsageError } from '../../src-main/serve'

describe('parseServeArgs', () => {
  it('defaults to the fixed port on loopback and the default workspace', () => {
    expect(parseServeArgs([])).toEqual({ port: DEFAULT_PORT, host: undefined, workspace: undefined })
  })

  it('reads --port, --host and --workspace', () => {
    expect(parseServeArgs(['--port', '0', '--workspace', '/tmp/ws', '--host', '0.0.0.0'])).toEqual({ port: 0, host: '0.0.0.0', workspace: '/tmp/ws' })
  })

  it.each([
    [['--port', '70000'], '--port must be an integer 0–65535, got "70000"'],
    [['--port', 'abc'], '--port must be an integer 0–65535, got "abc"'],
    [['--port', ''], '--port must be an integer 0–65535, got ""'],
    [['--token', 'x'], "Unknown option '--token'"]
  ])('refuses %j', (args, message) => {
    expect(() => parseServeArgs(args)).toThrow(ServeUsageError)
    expect(() => parseServeArgs(args)).toThrow(message)
  })
})
