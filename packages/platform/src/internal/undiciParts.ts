// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the declarations go wherever this file is type-checked (the docs' snippets too)
/// <reference path="./undiciModules.d.ts" />
import type * as Undici from "undici"
import requestFunction from "undici/lib/api/api-request.js"
import AgentClass from "undici/lib/dispatcher/agent.js"

/**
 * undici's `Agent` alone. undici's index also loads fetch, WebSocket, its
 * caches and cookies, and through them Node's own copy of undici: about
 * 40 ms and 9 MB more at every start of the command, for nothing it uses.
 *
 * @internal
 */
export const Agent: typeof Undici.Agent = AgentClass

/**
 * undici's `request` on any dispatcher (the index adds it to `Dispatcher`'s
 * prototype; without the index, a dispatcher has only `dispatch`).
 *
 * @internal
 */
export const request = (
  dispatcher: Undici.Dispatcher,
  options: Undici.Dispatcher.RequestOptions,
  callback: (error: Error | null, data: Undici.Dispatcher.ResponseData) => void
): void => requestFunction.call(dispatcher, options, callback)
