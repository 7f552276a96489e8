package llmtest

import "github.com/tracium/tracium/sdk/internal/fakellm"

// The fake provider and its reported counts, from the shared fake.
type (
	fakeOptions  = fakellm.Options
	fakeProvider = fakellm.Server
)

var (
	newFakeProvider = fakellm.New
	padWords        = fakellm.PadWords
)

const (
	openAIPrompt, openAICompletion, openAICached, openAIReasoning, openAITotal = fakellm.OpenAIPrompt, fakellm.OpenAICompletion, fakellm.OpenAICached, fakellm.OpenAIReasoning, fakellm.OpenAITotal

	anthropicInput, anthropicOutput, anthropicCacheRead, anthropicCacheCreation, anthropicTotal = fakellm.AnthropicInput, fakellm.AnthropicOutput, fakellm.AnthropicCacheRead, fakellm.AnthropicCacheCreation, fakellm.AnthropicTotal

	geminiPrompt, geminiCandidates, geminiCached, geminiThoughts, geminiTotal = fakellm.GeminiPrompt, fakellm.GeminiCandidates, fakellm.GeminiCached, fakellm.GeminiThoughts, fakellm.GeminiTotal

	embeddingTokens = fakellm.EmbeddingTokens

	openAIModel, openAIAnswerModel       = fakellm.OpenAIModel, fakellm.OpenAIAnswerModel
	anthropicModel, anthropicAnswerModel = fakellm.AnthropicModel, fakellm.AnthropicAnswerModel
	geminiModel, geminiAnswerModel       = fakellm.GeminiModel, fakellm.GeminiAnswerModel
	embeddingModel                       = fakellm.EmbeddingModel
)
