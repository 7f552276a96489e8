// Writes the price data bundled in the installed @pydantic/genai-prices to
// standard output as JSON, one model per line so that a new release shows
// as a readable diff. scripts/prices.sh runs it after npm ci; the Go
// generator beside it turns the result into server/pricing/prices.json.
//
// Usage: node dump.mjs PUBLISHED_DATE
//
// The package exports no data object, but waitForUpdate resolves to the
// provider list calcPrice uses, which is the bundled data until
// updatePrices is called (it never is here). Descriptions and usage
// extractors are left out: the generator needs ids, match clauses
// (providers' and models') and prices.
import { readFileSync } from 'node:fs'
import { waitForUpdate } from '@pydantic/genai-prices'

const published = process.argv[2] ?? ''
if (!/^\d{4}-\d{2}-\d{2}$/.test(published)) {
  console.error('usage: node dump.mjs YYYY-MM-DD (the release date of the installed version)')
  process.exit(2)
}
const pkg = JSON.parse(
  readFileSync(new URL('./node_modules/@pydantic/genai-prices/package.json', import.meta.url), 'utf8')
)
const providers = await waitForUpdate()
if (!Array.isArray(providers) || providers.length === 0) {
  console.error('genai-prices returned no providers')
  process.exit(1)
}

const pick = (obj, keys) => Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]]))
const out = []
out.push('{')
out.push(`"package": ${JSON.stringify(pkg.name)},`)
out.push(`"version": ${JSON.stringify(pkg.version)},`)
out.push(`"license": ${JSON.stringify(pkg.license)},`)
out.push(`"homepage": ${JSON.stringify(pkg.homepage)},`)
out.push(`"published": ${JSON.stringify(published)},`)
out.push('"providers": [')
providers.forEach((p, i) => {
  const head = pick(p, ['id', 'name', 'pricing_urls', 'model_match', 'fallback_model_providers'])
  out.push(`${JSON.stringify(head).slice(0, -1)}, "models": [`)
  p.models.forEach((m, j) => {
    const model = pick(m, ['id', 'name', 'deprecated', 'match', 'prices'])
    out.push(JSON.stringify(model) + (j < p.models.length - 1 ? ',' : ''))
  })
  out.push(']}' + (i < providers.length - 1 ? ',' : ''))
})
out.push(']}')
process.stdout.write(out.join('\n') + '\n')
