// Package pricing turns an LLM span's token counts into a cost in USD.
//
// A Table maps model names to prices in USD per million tokens. Default is
// the table embedded from prices.json, which make prices generates from
// the pinned release of pydantic's genai-prices dataset (the npm package
// @pydantic/genai-prices; the version is in
// internal/genprices/package.json): Source names the dataset and its
// version, AsOf its release date. The generator, not a person, writes
// that file. Load and LoadFile read an operator's own table in the same
// format (TRACIUM_PRICES_FILE), so prices can be fixed without a release.
//
// # Matching model names
//
// Names are compared case-insensitively, Claude's with dots read as dashes
// (OpenRouter's "claude-sonnet-4.5" is Anthropic's "claude-sonnet-4-5").
// A name is looked up as given (OpenRouter's "openai/gpt-4o" is an entry
// of its own, at OpenRouter's price), then without its routing prefix
// ("models/gemini-2.5-pro": everything up to the last slash goes). Each
// entry has a name and aliases. When none matches exactly, the names the
// model is a release of are tried, longest first, by the one rule in
// store.ModelNames: a date ("-2024-08-06", "-20250929", "@20250929"), a
// version ("-001", "-0613", "-v1:0"), "-latest" or "-0" after a name
// marks a release of it. Any other rest ("-mini", "-audio-preview", "-7")
// may name a different model at a different price, and no cost is better
// than a wrong one. A snapshot priced apart from its alias
// (gpt-4o-2024-05-13) is an entry of its own, which wins because exact
// names are tried first.
//
// The dataset matches names with clauses of its own (equals, starts_with,
// contains, ends_with, regex, and/or). The generator maps them onto the
// rule above: an entry is the dataset's model id, and its aliases are the
// names its clause spells out (an equals value; a starts_with, contains or
// ends_with value that is a whole name); regexes in the dataset only add
// dated releases, which the release rule covers. A name the dataset
// matches only through a wider prefix or substring ("gemini-2.5-pro-
// preview-06-05" by starts_with "gemini-2.5-pro") gets no price here.
// Which model a name belongs to is decided as genai-prices decides it for
// a name given alone; a name only one provider's API answers with
// (Bedrock's "global.anthropic.claude-...") belongs to the provider that
// spells it out, the model's maker first, then Groq, Bedrock, Azure and
// OpenRouter.
//
// # How usage is billed
//
// Usage follows Tracium's token convention (OpenTelemetry GenAI's), the
// same for every provider: InputTokens is every prompt token the model
// read, CachedTokens (cache reads) and CacheCreationTokens (cache writes)
// included; OutputTokens is every generated token, ReasoningTokens
// included. So one formula bills every provider (p_x is the price of x):
//
//	(input - cached - cache_creation)*p_in + cached*p_cached
//	  + cache_creation*p_write + output*p_out
//
// Each part is clamped at zero, and a negative count reads as none.
// Reasoning is inside the output and never billed again. A cached_input or
// cache_write price of zero means the provider has no separate rate, so
// those tokens cost the input price.
//
// The SDK converts each provider's counts to the convention, so a call
// costs what its provider's own counts cost: Anthropic's input_tokens 11
// with cache_read_input_tokens 3 and cache_creation_input_tokens 5 is an
// input of 19 (11 at p_in, 3 at p_cached, 5 at p_write); Gemini's
// candidatesTokenCount 5 with thoughtsTokenCount 3 is an output of 8, all
// at p_out; OpenAI's counts already follow it.
//
// # Tiers
//
// Some models charge more for every token of a request whose input is long
// (Gemini 2.5 Pro and Claude Sonnet 4.5 above 200,000 tokens, GPT-5.4
// from 272,000). An entry may list tiers; the one with the highest
// above_prompt_tokens that the whole input (cache included) exceeds
// replaces the base prices for the whole request, as genai-prices applies
// them.
//
// # Estimated usage
//
// Apply first hands an llm span that reported no counts to package
// estimate, which counts its recorded text with a tokenizer and marks the
// span usage_estimated; the estimate is then priced like reported usage.
//
// # Not modelled
//
// Batch discounts, priority surcharges, 1-hour cache writes, audio, image
// and video token prices, web searches and Gemini cache storage: usage
// counts do not say which applied. Where the dataset's price depends on
// the time of day (DeepSeek's off-peak discount), the table has the price
// in force for most of the day; where it changes on a later date, the
// price on AsOf until the table is regenerated. Models priced by audio
// duration or pages are left out. The table's notes list both.
package pricing
