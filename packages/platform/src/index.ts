/**
 * @since 0.1.0
 */
export * as AppleMusicClient from "./AppleMusicClient.js"

/**
 * @since 0.1.0
 */
export * as AppleMusicConfig from "./AppleMusicConfig.js"

/**
 * @since 0.1.0
 */
export * as DeveloperToken from "./DeveloperToken.js"

/**
 * @since 0.1.0
 */
export * as NodeAppleMusic from "./NodeAppleMusic.js"

/**
 * @since 0.1.0
 */
export * as JournalFile from "./JournalFile.js"

/**
 * @since 0.1.0
 */
export * as IdsFile from "./IdsFile.js"
