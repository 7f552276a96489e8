package store

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// How a model name is found. People filter by the model they asked for
// ("gpt-4o-mini") while providers answer with a dated release of it
// ("gpt-4o-mini-2024-07-18"), and a price table lists the alias once for all
// its releases. Both follow one rule: a name followed by a release suffix
// names a release of that name.

// releaseMarker is one release marker: a date in OpenAI's, Anthropic's or
// Vertex AI's spelling ("-2024-08-06", "-20250929", "@20250929"), a month
// and day ("-05-20", Gemini previews), a three- or four-digit version
// ("-001", "-0613", Mistral's "-2407"), Bedrock's "-v1:0", Anthropic's "-0"
// for a ".0" release, or "-latest". A lone "-1" or "-7" is not one:
// "claude-opus-4-7" is not a release of claude-opus-4. The alternatives are
// tried in order, so a whole date wins over its first four digits.
const releaseMarker = `[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{2}-\d{2}|\d{3,4}|0|latest|v\d+(?::\d+)?)`

var (
	releaseSuffix = regexp.MustCompile(`^(?:` + releaseMarker + `)+$`)
	releaseMarks  = regexp.MustCompile(releaseMarker)
)

// IsReleaseSuffix reports whether rest, what follows a model name, only
// marks a release of that model (see ModelNames).
func IsReleaseSuffix(rest string) bool { return rest != "" && releaseSuffix.MatchString(rest) }

// ModelNames returns the names model is found by, lower-cased, longest
// first: the name itself and every shorter name that it is a release of.
// "gpt-4o-mini-2024-07-18" is found by itself and by "gpt-4o-mini";
// "claude-3-5-sonnet-20240620-v1:0" also by "claude-3-5-sonnet-20240620"
// and "claude-3-5-sonnet". An empty model has no names.
func ModelNames(model string) []string {
	if model == "" {
		return nil
	}
	if names, ok := modelNames.Load(model); ok {
		return slices.Clone(names.([]string))
	}
	names := modelNamesOf(model)
	if modelNamesCount.Add(1) <= maxCachedModels {
		modelNames.Store(strings.Clone(model), slices.Clone(names))
	}
	return names
}

// modelNames caches ModelNames, which spans of the same few models ask
// for again and again, up to maxCachedModels models: model names come
// from clients, and a client sending ever new ones is answered without
// the cache.
var (
	modelNames      sync.Map // model -> []string
	modelNamesCount atomic.Int64
)

const maxCachedModels = 4096

// modelNamesOf is ModelNames, worked out.
func modelNamesOf(model string) []string {
	name := strings.ToLower(strings.TrimSpace(model))
	if name == "" {
		return nil
	}
	// The shortest base whose rest is all release markers; each marker
	// boundary after it is a name too.
	for i := 1; i < len(name); i++ {
		if (name[i] != '-' && name[i] != '@') || !releaseSuffix.MatchString(name[i:]) {
			continue
		}
		marks := releaseMarks.FindAllStringIndex(name[i:], -1)
		names := make([]string, 0, len(marks)+1)
		names = append(names, name)
		for j := len(marks) - 1; j >= 0; j-- {
			names = append(names, name[:i+marks[j][0]])
		}
		return names
	}
	return []string{name}
}

// ModelKey is the form a model filter is compared in: a filter value m
// matches a span whose ModelNames (of its model or its requested model)
// contain ModelKey(m).
func ModelKey(m string) string { return strings.ToLower(strings.TrimSpace(m)) }

// SpanModelKeys returns the keys a span is found by: the ModelNames of the
// model that answered and of the model asked for, sorted, without repeats.
// A model filter m matches the span when ModelKey(m) is one of them.
func SpanModelKeys(model, requestModel string) []string {
	keys := append(ModelNames(model), ModelNames(requestModel)...)
	return sortedSet(keys)
}
