// CommonJS modules of undici: imported from ESM, the default export is `module.exports`.
declare module "undici/lib/dispatcher/agent.js" {
  import type { Agent as UndiciAgent } from "undici"
  const Agent: typeof UndiciAgent
  export default Agent
}
declare module "undici/lib/api/api-request.js" {
  import type { Dispatcher } from "undici"
  const request: (
    this: Dispatcher,
    options: Dispatcher.RequestOptions,
    callback: (error: Error | null, data: Dispatcher.ResponseData) => void
  ) => void
  export default request
}
