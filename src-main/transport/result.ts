// Errors as data at the transport edge: what a transport answers when the request never reaches the service
// (bad sender, bad JSON, bad schema) or when the service throws instead of returning a Result.
import { contract, describeIssues, type Method, type Result, type ServiceApi, type ServiceError } from '../../src-preload/contract'

export const fail = (code: ServiceError['code'], message: string): Result<never> => ({ ok: false, error: { code, message } })

/**
 * Validates `req` with the method's schema, then calls the service with the raw request (the service validates
 * again and applies defaults). A throw from the service becomes an `internal` error rather than a rejected promise.
 */
export async function dispatch(service: ServiceApi, method: Method, req: unknown): Promise<Result<unknown>> {
  const parsed = contract[method].req.safeParse(req)
  if (!parsed.success) return fail('invalid_request', `${method}: ${describeIssues(parsed.error)}`)
  try {
    return await service[method](req)
  } catch (e) {
    return fail('internal', `${method}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

export const isMethod = (name: string): name is Method => Object.hasOwn(contract, name)
