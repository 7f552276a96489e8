package tracium

import "encoding/json"

// ProviderMessages reads messages written in a provider's own format as
// the SDK records them in a chat: provider "openai" (chat completions
// messages: role, content as a string or typed parts, tool_calls,
// tool_call_id), "anthropic" (Messages API messages: role and content
// blocks) or "google" (Gemini contents: role and parts, in camel or snake
// case). raw is a JSON array of them. ok is false for another provider or
// when raw is not such an array.
//
// It is the SDK's own reading of a request's messages, for telemetry that
// carries a provider's messages in another envelope: the collector's
// OpenTelemetry mapping records them with it, so that a call arriving
// over OTLP shows as the same call captured by the SDK does.
func ProviderMessages(provider string, raw []byte) (msgs []Message, ok bool) {
	switch provider {
	case providerOpenAI:
		var in []openAIMessage
		if json.Unmarshal(raw, &in) != nil {
			return nil, false
		}
		msgs = make([]Message, 0, len(in))
		for _, m := range in {
			msgs = append(msgs, m.chat())
		}
	case providerAnthropic:
		var in []anthropicMessage
		if json.Unmarshal(raw, &in) != nil {
			return nil, false
		}
		msgs = make([]Message, 0, len(in))
		for _, m := range in {
			msgs = append(msgs, m.chat())
		}
	case providerGoogle:
		var in []geminiContent
		if json.Unmarshal(raw, &in) != nil {
			return nil, false
		}
		msgs = make([]Message, 0, len(in))
		for _, c := range in {
			msgs = append(msgs, c.message())
		}
	default:
		return nil, false
	}
	return msgs, true
}
