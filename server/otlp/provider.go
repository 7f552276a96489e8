package otlp

import (
	"encoding/json"
	"strings"

	"github.com/tracium/tracium/store"
)

// Providers as the SDK records them (sdk/llm_provider.go: "openai",
// "anthropic", "google"), and for providers the SDK does not capture
// itself, the names of the price table (server/pricing/prices.json).
const (
	providerOpenAI    = "openai"
	providerAnthropic = "anthropic"
	providerGoogle    = "google"
)

// providerNames maps the names conventions use (lower case) to the
// provider recorded. Azure OpenAI speaks OpenAI's API, which the SDK
// records as openai; so does any OpenAI-compatible server.
var providerNames = map[string]string{
	"openai":             providerOpenAI,
	"azure.ai.openai":    providerOpenAI,
	"az.ai.openai":       providerOpenAI,
	"azure-openai":       providerOpenAI,
	"openai-compatible":  providerOpenAI,
	"anthropic":          providerAnthropic,
	"gcp.gemini":         providerGoogle,
	"gcp.vertex_ai":      providerGoogle,
	"gcp.gen_ai":         providerGoogle,
	"gemini":             providerGoogle,
	"google":             providerGoogle,
	"google-vertex":      providerGoogle,
	"vertex":             providerGoogle,
	"vertex_ai":          providerGoogle,
	"vertexai":           providerGoogle,
	"googleai":           providerGoogle,
	"aws.bedrock":        "aws",
	"bedrock":            "aws",
	"amazon-bedrock":     "aws",
	"aws":                "aws",
	"azure.ai.inference": "azure",
	"azure":              "azure",
	"mistral_ai":         "mistral",
	"mistralai":          "mistral",
	"mistral":            "mistral",
	"x_ai":               "x-ai",
	"xai":                "x-ai",
	"x-ai":               "x-ai",
	"deepseek":           "deepseek",
	"groq":               "groq",
	"openrouter":         "openrouter",
}

// frameworkProviders are "providers" that name a framework rather than a
// model's provider (ADK's gen_ai.system, and its instrumentation scope);
// the model's name tells.
var frameworkProviders = map[string]bool{"gcp.vertex.agent": true}

// normalizeProvider maps a convention's provider name to the recorded
// one: OpenTelemetry's well-known names ("gcp.vertex_ai", "az.ai.openai"),
// OpenLLMetry's capitalised ones ("Anthropic"), OpenInference's
// ("mistralai"), the Vercel AI SDK's "provider.api" ids ("openai.chat",
// "google.vertex.chat"). A name none of them knows is kept, lower case.
func normalizeProvider(name, model string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if p, ok := providerNames[n]; ok {
		return p
	}
	if frameworkProviders[n] {
		return providerFromModel(model)
	}
	// "openai.chat", "google.generative-ai", "amazon-bedrock.chat".
	if i := strings.IndexByte(n, '.'); i > 0 {
		if p, ok := providerNames[n[:i]]; ok {
			return p
		}
	}
	return n
}

// providerFromModel guesses the provider of a model from its family's
// name, for spans whose only provider is a framework's.
func providerFromModel(model string) string {
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	switch {
	case strings.HasPrefix(m, "gemini"), strings.HasPrefix(m, "gemma"):
		return providerGoogle
	case strings.HasPrefix(m, "claude"):
		return providerAnthropic
	case strings.HasPrefix(m, "gpt-"), strings.HasPrefix(m, "o1"), strings.HasPrefix(m, "o3"), strings.HasPrefix(m, "o4"):
		return providerOpenAI
	}
	return ""
}

// The model and provider precedence, first match wins.
var (
	// modelKeys: every convention's model that answered before any
	// convention's model asked for, so that a span carrying two
	// conventions (the AI SDK's ai.* beside gen_ai.request.model) records
	// the one that answered.
	modelKeys = []key{kGenAIResponseModel, kLLMResponseModelName, kAIResponseModel,
		kGenAIRequestModel, kLLMModelName, kAIModelID, kEmbeddingModelName}
	// requestModelKeys leave out OpenInference's llm.model_name: its
	// instrumentors overwrite it with the model that answered.
	requestModelKeys = []key{kGenAIRequestModel, kLLMRequestModelName, kAIModelID}
	providerKeys     = []key{kGenAIProviderName, kGenAISystem, kLLMProvider, kLLMSystem, kAIModelProvider}
)

// invocationModel is the model OpenInference's llm.invocation_parameters
// (the request's parameters, as JSON) asked for, or "". The attribute
// stays: it holds the other parameters too.
func (m *mapper) invocationModel() string {
	raw, ok := m.attrs.str(kLLMInvocationParameters)
	if !ok || len(raw) > maxInvocationParameters {
		return ""
	}
	var p struct {
		Model string `json:"model"`
	}
	if json.Unmarshal([]byte(raw), &p) != nil {
		return ""
	}
	model, _ := fieldString(p.Model, store.MaxFieldLen)
	return model
}

// maxInvocationParameters bounds the parameters invocationModel decodes:
// a request's parameters are a few hundred bytes.
const maxInvocationParameters = 64 << 10

// mapModel sets the span's model, requested model and provider. A Genkit
// model action names both in genkit:name ("googleai/gemini-2.5-flash"),
// which stays in the attributes: it is the action's name.
func (m *mapper) mapModel(s *store.Span) {
	model, _ := m.field(modelKeys, store.MaxFieldLen)
	requested, _ := m.field(requestModelKeys, store.MaxFieldLen)
	if requested == "" {
		requested = m.invocationModel()
	}
	if model == "" && requested == "" && m.isGenkitModel() {
		if name, ok := m.attrs.str(kGenkitName); ok {
			if prov, mod, ok := genkitProvider(name); ok {
				model, _ = fieldString(mod, store.MaxFieldLen)
				requested = model
				s.Provider, _ = fieldString(prov, store.MaxFieldLen)
			}
		}
	}
	if model == "" {
		model = requested
	}
	s.Model, s.RequestModel = model, requested
	if frameworkProviders[m.scope.Name()] {
		// ADK for Go names no provider on its spans, only its scope.
		s.Provider = providerFromModel(model)
	}
	for _, k := range providerKeys {
		name, ok := m.attrs.str(k)
		if !ok {
			continue
		}
		p, cut := fieldString(normalizeProvider(name, model), store.MaxFieldLen)
		if p == "" {
			continue // a framework's name, and a model that does not tell
		}
		s.Provider = p
		if !cut {
			m.attrs.use(k)
		}
		break
	}
}
