// Package pricing turns an LLM span's token counts into a cost in USD.
//
// A Table maps model names to prices in USD per million tokens. Default is
// the table embedded from prices.json (its as_of date says when the list
// prices were last checked); Load and LoadFile read an operator's own table
// in the same format, so prices can be fixed without a new release.
//
// # Matching model names
//
// Names are compared case-insensitively. A name is looked up as given, then
// without a routing prefix ("models/gemini-2.5-pro", "openai/gpt-4o",
// "anthropic/claude-sonnet-4.5": everything up to the last slash goes), and
// for Claude models with dots read as dashes, since OpenRouter spells
// versions "4.5" where Anthropic spells them "4-5". When no key matches
// exactly, the longest key that the name starts with is used, but only when
// the rest of the name is a release suffix: a date ("-2024-08-06",
// "-20250929", "@20250929"), a three-digit version ("-001"), "-latest", or
// "-0" (Anthropic's "claude-opus-4-0" is claude-opus-4). Any other rest
// ("-mini", "-audio-preview", "-7") may name a different model at a different
// price, and no cost is better than a wrong one. A dated snapshot priced
// differently from its alias (gpt-4o-2024-05-13) gets its own entry, which
// wins because exact matches are tried first.
//
// # How usage is billed
//
// The SDK records token counts as the provider reports them: InputTokens is
// the provider's input or prompt count, CachedTokens its cache reads,
// CacheCreationTokens its cache writes, ReasoningTokens its reasoning or
// thinking count. Providers disagree about what those counts include, so the
// price entry's provider field picks the formula (p_x is the price of x):
//
//	openai:    (input - cached)*p_in + cached*p_cached + output*p_out
//	anthropic: input*p_in + cached*p_cached + cache_creation*p_write + output*p_out
//	google:    (input - cached)*p_in + cached*p_cached + (output + reasoning)*p_out
//
// OpenAI's prompt_tokens includes the cached tokens, and its reasoning tokens
// are already inside completion_tokens, so they are never added again.
// Anthropic's input_tokens excludes both cache reads and cache writes, which
// are reported and billed separately; thinking is inside output_tokens.
// Gemini's promptTokenCount includes cachedContentTokenCount like OpenAI, but
// thoughtsTokenCount is not part of candidatesTokenCount, and thoughts are
// billed at the output price, so they are added. A model served behind an
// OpenAI-compatible API (Azure, vLLM) reports like OpenAI: give it provider
// "openai" in a custom table.
//
// A cached_input or cache_write price of zero means the provider gives no
// separate rate, so those tokens cost the input price. Negative counts are
// read as zero, and cached tokens beyond the input count are capped at it.
//
// # Tiers
//
// Some models charge more for every token of a request whose prompt is long
// (Gemini 2.5 Pro and Claude Sonnet 4 and 4.5 above 200,000 tokens). An entry
// may list tiers; the one with the highest above_prompt_tokens that the
// prompt exceeds replaces the base prices for the whole request. The prompt
// is everything the model read: input for openai and google (which already
// counts cached tokens), input + cache reads + cache writes for anthropic.
//
// Batch discounts, priority surcharges, 1-hour cache writes, Gemini cache
// storage and audio input prices are not modelled: usage counts do not say
// which applied.
package pricing
