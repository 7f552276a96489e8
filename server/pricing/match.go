package pricing

import (
	"regexp"
	"strings"
)

// releaseSuffix is what may follow a table key for the key to still name
// the same model at the same price: dates in OpenAI's and Anthropic's
// spelling (Vertex AI joins Anthropic's with "@"), Gemini's "-001",
// "-latest", and Anthropic's "-0" for a ".0" release. A lone "-1" or "-7" is
// left out on purpose: "claude-opus-4-7" is not claude-opus-4.
var releaseSuffix = regexp.MustCompile(`^(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|0|latest))+$`)

// canonical is the form both table keys and looked-up names are compared in.
func canonical(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if strings.HasPrefix(name, "claude-") {
		// OpenRouter writes "claude-sonnet-4.5" for Anthropic's "claude-sonnet-4-5".
		name = strings.ReplaceAll(name, ".", "-")
	}
	return name
}

// lookup finds the price for model without copying its tiers.
func (t *Table) lookup(model string) (Price, bool) {
	if t == nil {
		return Price{}, false
	}
	names := candidates(model)
	for _, n := range names {
		if p, ok := t.prices[n]; ok {
			return p, true
		}
	}
	for _, n := range names {
		if p, ok := t.byReleasePrefix(n); ok {
			return p, true
		}
	}
	return Price{}, false
}

// candidates are the names to try for model, most specific first: the name
// as given (a custom table may have keys with a slash), then without its
// routing prefix.
func candidates(model string) []string {
	full := strings.ToLower(strings.TrimSpace(model))
	i := strings.LastIndexByte(full, '/')
	if i < 0 {
		return nonEmpty(canonical(full))
	}
	return nonEmpty(canonical(full), canonical(full[i+1:]))
}

func nonEmpty(names ...string) []string {
	out := names[:0]
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// byReleasePrefix returns the longest key that name starts with, followed
// by a release suffix. Keys end where the name has a '-' or '@', so walking
// those positions from the right tries the longest keys first.
func (t *Table) byReleasePrefix(name string) (Price, bool) {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] != '-' && name[i] != '@' {
			continue
		}
		if p, ok := t.prices[name[:i]]; ok && releaseSuffix.MatchString(name[i:]) {
			return p, true
		}
	}
	return Price{}, false
}
