// `elder serve` options: defaults, validation, and unknown flags refused with a usage error.
import { describe, expect, it } from 'vitest'
import { DEFAULT_PORT, parseServeArgs, PORT_ATTEMPTS, ServeUsageError } from '../../src-main/serve'

describe('parseServeArgs', () => {
  it('defaults to the fixed port, or the next free ones, on loopback and the default workspace', () => {
    expect(parseServeArgs([], {})).toEqual({ port: DEFAULT_PORT, portAttempts: PORT_ATTEMPTS, host: undefined, workspace: undefined })
  })

  it('takes the first port to try from ELDER_SERVE_PORT; --port is exact', () => {
    expect(parseServeArgs([], { ELDER_SERVE_PORT: '8100' })).toMatchObject({ port: 8100, portAttempts: PORT_ATTEMPTS })
    expect(parseServeArgs(['--port', '8200'], { ELDER_SERVE_PORT: '8100' })).toEqual({ port: 8200, host: undefined, workspace: undefined })
    expect(() => parseServeArgs([], { ELDER_SERVE_PORT: 'x' })).toThrow('ELDER_SERVE_PORT must be an integer 0–65535, got "x"')
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
