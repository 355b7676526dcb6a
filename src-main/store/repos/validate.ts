import { StoreError } from '../errors'
import type { JsonObject } from '../types'

/** Input checks shared by the repositories: messages name the field and say what was seen. */

export function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new StoreError('invalid_input', `${field}: expected a non-empty string, got ${describe(value)}`)
  }
  return value
}

export function optionalText(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string') throw new StoreError('invalid_input', `${field}: expected a string, got ${describe(value)}`)
  return value
}

export function jsonObject(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StoreError('invalid_input', `${field}: expected a JSON object, got ${describe(value)}`)
  }
  return value as JsonObject
}

export function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new StoreError('invalid_input', `${field}: expected an array of strings, got ${describe(value)}`)
  }
  return value as string[]
}

export function nonNegativeInt(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new StoreError('invalid_input', `${field}: expected a non-negative integer, got ${describe(value)}`)
  }
  return value
}

export function sha256Hex(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    throw new StoreError('invalid_input', `${field}: expected 64 lowercase hex digits, got ${describe(value)}`)
  }
  return value
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `array(${value.length})`
  if (typeof value === 'string') return value.length > 40 ? `string(${value.length})` : JSON.stringify(value)
  if (typeof value === 'number') return String(value)
  return typeof value
}
