// Package llmtest checks Tracium's LLM instrumentation against the real
// provider client libraries (openai-go, anthropic-sdk-go, genai, go-openai)
// talking to fake provider servers that speak each API's wire format, and
// one run through the real Tracium collector. It has no non-test code.
package llmtest
