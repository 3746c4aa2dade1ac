/**
 * A small hand-made SVG line chart for the rate-limit benchmark: one line per
 * client, the limit as a dashed step line.
 *
 * @since 0.3.0
 */

export interface Series {
  readonly name: string
  readonly color: string
  readonly values: ReadonlyArray<number>
}

const width = 760
const height = 340
const left = 52
const right = 16
const top = 16
const bottom = 96

export const svgChart = (options: {
  readonly seconds: number
  readonly limit: ReadonlyArray<number>
  readonly series: ReadonlyArray<Series>
}): string => {
  const maxY = Math.ceil(Math.max(...options.limit, ...options.series.flatMap((s) => s.values)) / 50) * 50 + 50
  const plotW = width - left - right
  const plotH = height - top - bottom
  const x = (second: number) => left + (second / options.seconds) * plotW
  const y = (value: number) => top + plotH - (value / maxY) * plotH
  const line = (values: ReadonlyArray<number>) =>
    values.map((v, s) => `${s === 0 ? "M" : "L"}${x(s + 0.5).toFixed(1)},${y(v).toFixed(1)}`).join(" ")
  const step = options.limit.map((v, s) =>
    `${s === 0 ? "M" : "L"}${x(s).toFixed(1)},${y(v).toFixed(1)} L${x(s + 1).toFixed(1)},${y(v).toFixed(1)}`
  ).join(" ")
  const yTicks = Array.from({ length: Math.floor(maxY / 50) + 1 }, (_, i) => i * 50)
  const xTicks = Array.from({ length: Math.floor(options.seconds / 10) + 1 }, (_, i) => i * 10)
  const legend = [
    ...options.series.map((s) => ({ name: s.name, color: s.color, dash: "" })),
    { name: "the server's limit R", color: "#6b7280", dash: ` stroke-dasharray="6 4"` }
  ]
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
${
    yTicks.map((v) =>
      `<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${
        y(v) + 4
      }" text-anchor="end">${v}</text>`
    ).join("\n")
  }
${xTicks.map((s) => `<text x="${x(s)}" y="${top + plotH + 16}" text-anchor="middle">${s} s</text>`).join("\n")}
<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${
    top + plotH / 2
  })" text-anchor="middle">deletes per second</text>
<path d="${step}" fill="none" stroke="#6b7280" stroke-width="1.5" stroke-dasharray="6 4"/>
${
    options.series.map((s) => `<path d="${line(s.values)}" fill="none" stroke="${s.color}" stroke-width="2"/>`).join(
      "\n"
    )
  }
${
    legend.map((l, i) =>
      `<line x1="${left + (i % 2) * 340}" x2="${left + (i % 2) * 340 + 24}" y1="${
        top + plotH + 36 + Math.floor(i / 2) * 20
      }" y2="${top + plotH + 36 + Math.floor(i / 2) * 20}" stroke="${l.color}" stroke-width="2"${l.dash}/><text x="${
        left + (i % 2) * 340 + 30
      }" y="${top + plotH + 40 + Math.floor(i / 2) * 20}">${l.name}</text>`
    ).join("\n")
  }
</svg>
`
}
