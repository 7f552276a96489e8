// Package e2e runs LangChainGo end to end through the real Tracium
// collector: an agent whose tool calls the model, against the fake OpenAI
// provider, stored and read back span by span. It is a module of its own
// so that the integration's module does not depend on the collector.
package e2e
