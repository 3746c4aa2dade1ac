import type { RatingKind } from "@unrate/core"

/** One well-formed id per kind, in the forms Apple documents. */
export const sampleIds: Record<RatingKind.RatingKind, string> = {
  "library-songs": "i.7PJNN4mfXlD68R",
  "library-albums": "l.cgdliw7",
  "library-music-videos": "i.mv7PJNN4mfX",
  "library-playlists": "p.MoGJYM3CYXW09B",
  songs: "907242702",
  albums: "1440857781",
  "music-videos": "1445715227",
  playlists: "pl.u-8aAVZAXCoxRxJj",
  stations: "ra.840950253"
}
