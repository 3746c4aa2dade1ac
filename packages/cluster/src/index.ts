/**
 * @since 0.3.0
 */
export * as Cleanup from "./Cleanup.js"

/**
 * @since 0.3.0
 */
export * as SqlJournal from "./SqlJournal.js"

/**
 * @since 0.3.0
 */
export * as Team from "./Team.js"

/**
 * @since 0.3.0
 */
export * as TeamLimiter from "./TeamLimiter.js"

/**
 * @since 0.3.0
 */
export * as UnrateCluster from "./UnrateCluster.js"

/**
 * @since 0.3.0
 */
export * as UserTokens from "./UserTokens.js"
