package pricing

import (
	"strings"

	"github.com/tracium/tracium/store"
)

// Canonical returns the form in which table names and looked-up names are
// compared: lower case, trimmed, and for Claude models dots read as dashes.
func Canonical(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if strings.HasPrefix(name, "claude-") {
		// OpenRouter writes "claude-sonnet-4.5" for Anthropic's "claude-sonnet-4-5".
		name = strings.ReplaceAll(name, ".", "-")
	}
	return name
}

// lookup finds the price for model: every candidate name as given first,
// then the names it is a release of (store.ModelNames, longest first), so
// that an entry for a dated snapshot priced differently from its alias
// (gpt-4o-2024-05-13) wins over the alias.
func (t *Table) lookup(model string) (*Price, bool) {
	if t == nil {
		return nil, false
	}
	names := candidates(model)
	for _, n := range names {
		if p, ok := t.prices[n]; ok {
			return p, true
		}
	}
	for _, n := range names {
		for _, base := range store.ModelNames(n) {
			if p, ok := t.prices[base]; ok {
				return p, true
			}
		}
	}
	return nil, false
}

// candidates are the names to try for model, most specific first: the name
// as given (OpenRouter's "openai/gpt-4o" is a key of its own), then without
// its routing prefix ("models/gemini-2.5-pro": everything up to the last
// slash goes).
func candidates(model string) []string {
	full := Canonical(model)
	if full == "" {
		return nil
	}
	i := strings.LastIndexByte(full, '/')
	if i < 0 {
		return []string{full}
	}
	if rest := Canonical(full[i+1:]); rest != "" {
		return []string{full, rest}
	}
	return []string{full}
}
