import * as AppleMusicLimits from "@unrate/core/AppleMusicLimits"

/**
 * What `unrate <command> --help` says, by command and option name. The names, arguments and allowed
 * values come from the @effect/cli definitions; this table adds what a person needs: a group, a line
 * of text, the default and examples. A test fails when an option has no entry here.
 */

/** One option's help. @internal */
export interface OptionHelp {
  readonly group: string
  /** The placeholder of its value (`N`, `PATH`); none for a flag. */
  readonly value?: string
  readonly text: string
  readonly default?: string
}

/** One command's help. @internal */
export interface CommandHelp {
  readonly summary: string
  /** What follows `unrate <command>` in the usage line, before `[flags]`. */
  readonly usage: string
  readonly args: ReadonlyArray<{ readonly name: string; readonly text: string }>
  /** The order of the option groups. */
  readonly groups: ReadonlyArray<string>
  readonly options: Readonly<Record<string, OptionHelp>>
  readonly examples: ReadonlyArray<readonly [comment: string, command: string]>
}

/** @internal */
export const libraryKinds = "library-songs, library-albums, library-music-videos, library-playlists"

/** @internal */
export const catalogKinds = "songs, albums, music-videos, playlists, stations"

const speed = {
  concurrency: { group: "speed", value: "N", text: "requests in flight at once (1–1024)", default: "8" },
  rate: {
    group: "speed",
    value: "N",
    text: "the ceiling: at most N requests per second (at least 0.1); with --fixed-rate, exactly N",
    default: "none: unrate probes upward from --initial-rate and slows down on 429"
  },
  "initial-rate": {
    group: "speed",
    value: "N",
    text: "requests per second to start at, rising while no 429 comes",
    default: "20"
  },
  "fixed-rate": { group: "speed", text: "with --rate N: keep to N, no probing (still slower on 429)" }
} as const

const batchFlags: Record<string, OptionHelp> = {
  language: { group: "targets", value: "TAG", text: "Apple's `l` parameter: a BCP 47 tag such as en-GB" },
  ...speed,
  journal: {
    group: "safety",
    value: "PATH",
    text: "JSON Lines journal of every outcome: rerun to resume, `unrate restore` to undo",
    default: "a new file under ~/.local/state/unrate/runs"
  },
  "no-journal": { group: "safety", text: "keep no journal: the run can be neither resumed nor undone" },
  "max-deletions": { group: "safety", value: "N", text: "delete at most N ratings, then stop" },
  "dry-run": { group: "safety", text: "send no DELETE; report what would be deleted" },
  yes: { group: "safety", text: "do not ask before deleting, even in a terminal" },
  json: { group: "output", text: "print one JSON object on stdout at the end" }
}

const batchGroups = ["targets", "safety", "speed", "output"]

const faultShare = (text: string): OptionHelp => ({ group: "faults", value: "SHARE", text: `share (0–1) of ${text}` })

/** Help by command name. @internal */
export const commands: Readonly<Record<string, CommandHelp>> = {
  delete: {
    summary: "Delete ratings of one kind by id.",
    usage: "<kind> [id...] [--ids-file PATH|-]",
    args: [
      { name: "<kind>", text: `a library kind (${libraryKinds}) or a catalog kind (${catalogKinds})` },
      { name: "[id...]", text: "ids to delete; an id that starts with - goes after --" }
    ],
    groups: batchGroups,
    options: {
      "ids-file": {
        group: "targets",
        value: "PATH",
        text: "a file of ids, one per line (blank lines and # comments ignored); - reads stdin"
      },
      ...batchFlags
    },
    examples: [
      ["Delete two song ratings", "unrate delete library-songs i.AbC123 i.DeF456"],
      ["Delete the ids listed in a file, without asking", "unrate delete songs --ids-file ids.txt --yes"],
      ["See what would be deleted", "grep -v '^#' ids.txt | unrate delete songs --ids-file - --dry-run"]
    ]
  },
  sweep: {
    summary: "Delete every like, dislike or rating of a library kind.",
    usage: "<library-kind>",
    args: [{ name: "<library-kind>", text: libraryKinds }],
    groups: batchGroups,
    options: {
      value: { group: "targets", value: "VALUE", text: "which ratings to delete", default: "dislike" },
      ...batchFlags
    },
    examples: [
      ["Delete every disliked song, asking first", "unrate sweep library-songs"],
      ["Count the likes of albums without deleting", "unrate sweep library-albums --value like --dry-run"],
      ["Delete every rating of songs, for a script", "unrate sweep library-songs --value all --yes --json"]
    ]
  },
  restore: {
    summary: "Put back every rating a journal says was deleted, with its old value.",
    usage: "(--journal PATH | --last)",
    args: [],
    groups: ["targets", "safety", "speed", "output"],
    options: {
      journal: { group: "targets", value: "PATH", text: "the journal of a delete or sweep" },
      last: { group: "targets", text: "undo the newest run (see unrate runs)" },
      "dry-run": { group: "safety", text: "send no PUT; report what would be restored" },
      ...speed,
      json: batchFlags.json!
    },
    examples: [
      ["Undo the newest run", "unrate restore --last"],
      ["Undo a run by its journal", "unrate restore --journal run.jsonl"]
    ]
  },
  runs: {
    summary: "List past deletes and sweeps, newest first, with their journals.",
    usage: "",
    args: [],
    groups: ["output"],
    options: { json: { group: "output", text: "print one JSON object on stdout" } },
    examples: [
      ["List past runs", "unrate runs"],
      ["The newest run's journal", "unrate runs --json | jq -r '.runs[0].journal'"]
    ]
  },
  token: {
    summary: "Print a developer token signed from the signing material.",
    usage: "",
    args: [],
    groups: ["token"],
    options: {
      ttl: {
        group: "token",
        value: "SECONDS",
        text: `lifetime in seconds, at most ${AppleMusicLimits.developerTokenMaxTtlSeconds}`,
        default: "43200 (12 hours)"
      }
    },
    examples: [
      ["Sign a token for the environment", "export APPLE_MUSIC_DEVELOPER_TOKEN=\"$(unrate token)\""],
      ["Sign a token that lives an hour", "unrate token --ttl 3600"]
    ]
  },
  login: {
    summary: "Sign in to Apple Music in your browser and store the music user token.",
    usage: "",
    args: [],
    groups: ["sign-in"],
    options: {
      port: {
        group: "sign-in",
        value: "N",
        text: "port of the sign-in page on 127.0.0.1 (0: a free one)",
        default: "0"
      },
      "no-open": { group: "sign-in", text: "print the page's URL instead of opening a browser" }
    },
    examples: [
      ["Sign in with the default browser", "unrate login"],
      ["Sign in from another browser, on a fixed port", "unrate login --no-open --port 8765"]
    ]
  },
  logout: {
    summary: "Delete the stored music user token.",
    usage: "",
    args: [],
    groups: [],
    options: {},
    examples: [["Forget the stored token", "unrate logout"]]
  },
  emulator: {
    summary: "Run the Apple Music ratings emulator on 127.0.0.1 in the foreground.",
    usage: "",
    args: [],
    groups: ["server", "library", "faults"],
    options: {
      port: { group: "server", value: "N", text: "port on 127.0.0.1 (0: a free one)", default: "0" },
      admin: { group: "server", text: "serve /__admin/ (state, log, reset, faults, seed)" },
      seed: { group: "library", value: "N", text: "seed of the library and the faults", default: "1" },
      songs: { group: "library", value: "N", text: "library songs to create", default: "1000" },
      likes: { group: "library", value: "SHARE", text: "share of songs liked, 0–1", default: "0.1" },
      dislikes: { group: "library", value: "SHARE", text: "share of songs disliked, 0–1", default: "0.15" },
      "rate-limit": { group: "faults", value: "N", text: "requests per second for the whole team; beyond it, 429" },
      "retry-after": { group: "faults", text: "send Retry-After with 429s" },
      "error-500": faultShare("requests answered 500"),
      "error-503": faultShare("requests answered 503"),
      "error-429": faultShare("requests answered 429 at random"),
      resets: faultShare("connections reset before an answer"),
      "drop-after-commit": faultShare("DELETEs and PUTs carried out, then answered by a dropped connection"),
      latency: { group: "faults", value: "MS", text: "milliseconds added to every request" },
      "expire-user-token-after": { group: "faults", value: "N", text: "after N requests the user token answers 403" },
      "delete-missing": {
        group: "faults",
        value: "STATUS",
        text: "what deleting a missing rating answers",
        default: "404"
      }
    },
    examples: [
      ["Run it and point unrate at it", "eval \"$(unrate emulator --port 8080 | grep ^export)\""],
      ["A flaky server: 5% 503s and 20 ms per request", "unrate emulator --error-503 0.05 --latency 20"]
    ]
  },
  demo: {
    summary: "Sweep the dislikes of an emulated library with a progress bar, then undo it.",
    usage: "",
    args: [],
    groups: [],
    options: {},
    examples: [["Watch a sweep and its undo; nothing leaves the machine", "unrate demo"]]
  },
  completions: {
    summary: "Print a shell completion script.",
    usage: "<shell>",
    args: [{ name: "<shell>", text: "bash, zsh or fish" }],
    groups: [],
    options: {},
    examples: [
      ["bash", "unrate completions bash > ~/.local/share/bash-completion/completions/unrate"],
      ["zsh", "unrate completions zsh > \"${fpath[1]}/_unrate\""],
      ["fish", "unrate completions fish > ~/.config/fish/completions/unrate.fish"]
    ]
  },
  help: {
    summary: "Show help for unrate or one of its commands.",
    usage: "[command]",
    args: [{ name: "[command]", text: "the command to explain" }],
    groups: [],
    options: {},
    examples: [["Help on sweep", "unrate help sweep"]]
  }
}

/** The root help's extra sections. @internal */
export const root = {
  summary: "Remove Apple Music personal ratings (likes and dislikes), safely and resumably.",
  groups: [
    ["ratings", ["delete", "sweep", "restore", "runs"]],
    ["account", ["login", "logout", "token"]],
    ["try it", ["demo", "emulator"]],
    ["shell", ["completions", "help"]]
  ] as ReadonlyArray<readonly [string, ReadonlyArray<string>]>,
  flags: [
    ["-h, --help", "show help for unrate or a command"],
    ["--version", "print unrate's version"],
    ["--log-level LEVEL", "log level: all, trace, debug, info, warning, error, fatal, none"]
  ] as ReadonlyArray<readonly [string, string]>,
  environment: [
    ["APPLE_MUSIC_DEVELOPER_TOKEN", "a developer token, or the signing material below to sign one"],
    ["APPLE_MUSIC_TEAM_ID, APPLE_MUSIC_KEY_ID", "signing material: team and key ids"],
    ["APPLE_MUSIC_PRIVATE_KEY(_FILE)", "signing material: the .p8 key's text (or path)"],
    ["APPLE_MUSIC_USER_TOKEN", "the music user token; else the file `unrate login` stores"],
    ["APPLE_MUSIC_BASE_URL", "default https://api.music.apple.com"],
    ["NO_COLOR, FORCE_COLOR", "never colour, or colour even when not a terminal"]
  ] as ReadonlyArray<readonly [string, string]>,
  exitCodes: [
    ["0", "every target deleted, absent, skipped or planned"],
    ["1", "a target failed or was invalid"],
    ["2", "usage error"],
    ["3", "a token was refused (401/403); the batch stopped"],
    ["130", "stopped by Ctrl-C"]
  ] as ReadonlyArray<readonly [string, string]>,
  examples: [
    ["Try it on an emulated library", "unrate demo"],
    ["Delete every disliked song", "unrate sweep library-songs"],
    ["Undo the newest run", "unrate restore --last"]
  ] as ReadonlyArray<readonly [string, string]>
}
