/**
 * Limits Apple Music's API sets, defined once for the client that respects
 * them (`@unrate/platform`) and the emulator that enforces them
 * (`@unrate/emulator`).
 *
 * @since 0.2.0
 */

/**
 * The longest lifetime (`exp - iat`) of a developer token Apple accepts:
 * 15,777,000 s (six months).
 *
 * @since 0.2.0
 * @category constants
 */
export const developerTokenMaxTtlSeconds = 15_777_000
