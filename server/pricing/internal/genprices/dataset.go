package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// dataset is genai-prices.json: the providers and models of one release of
// @pydantic/genai-prices, as dump.mjs writes them.
type dataset struct {
	Package   string     `json:"package"`
	Version   string     `json:"version"`
	License   string     `json:"license"`
	Homepage  string     `json:"homepage"`
	Published string     `json:"published"` // the release date, YYYY-MM-DD
	Providers []provider `json:"providers"`
}

type provider struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	PricingURLs []string `json:"pricing_urls"`
	// ModelMatch picks the provider for a model name given alone.
	ModelMatch *clause `json:"model_match"`
	// FallbackModelProviders are searched for a model the provider's own
	// list lacks (Vertex AI serves Anthropic's models).
	FallbackModelProviders []string `json:"fallback_model_providers"`
	Models                 []model  `json:"models"`
}

type model struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Deprecated bool   `json:"deprecated"`
	Match      clause `json:"match"`
	// Prices is one price set, or a list of them with constraints (see
	// prices.go).
	Prices json.RawMessage `json:"prices"`
}

// clause is genai-prices' MatchLogic: exactly one of its fields is set.
// Matching is on the lower-cased model name, as calcPrice does it.
type clause struct {
	Equals     *string  `json:"equals"`
	StartsWith *string  `json:"starts_with"`
	EndsWith   *string  `json:"ends_with"`
	Contains   *string  `json:"contains"`
	Regex      *string  `json:"regex"`
	Or         []clause `json:"or"`
	And        []clause `json:"and"`

	re *compiledRegex
}

// decodeDataset reads and checks a dumped dataset. Unknown fields are
// errors: a new kind of match clause or constraint must be mapped before
// it is used.
func decodeDataset(r io.Reader) (*dataset, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var d dataset
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if d.Package == "" || d.Version == "" {
		return nil, errors.New("dataset: package or version missing")
	}
	if _, err := time.Parse(time.DateOnly, d.Published); err != nil {
		return nil, fmt.Errorf("dataset: published %q is not a YYYY-MM-DD date", d.Published)
	}
	for i := range d.Providers {
		p := &d.Providers[i]
		if p.ModelMatch != nil {
			if err := p.ModelMatch.prepare(); err != nil {
				return nil, fmt.Errorf("dataset: %s: model_match: %w", p.ID, err)
			}
		}
		for j := range p.Models {
			m := &p.Models[j]
			if err := m.Match.prepare(); err != nil {
				return nil, fmt.Errorf("dataset: %s model %q: match: %w", p.ID, m.ID, err)
			}
		}
	}
	return &d, nil
}

// prepare checks that c has one operator and compiles its regexes.
func (c *clause) prepare() error {
	n := 0
	for _, set := range []bool{c.Equals != nil, c.StartsWith != nil, c.EndsWith != nil,
		c.Contains != nil, c.Regex != nil, c.Or != nil, c.And != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("want one operator, have %d", n)
	}
	if c.Regex != nil {
		re, err := compileRegex(*c.Regex)
		if err != nil {
			return err
		}
		c.re = re
	}
	for i := range c.Or {
		if err := c.Or[i].prepare(); err != nil {
			return err
		}
	}
	for i := range c.And {
		if err := c.And[i].prepare(); err != nil {
			return err
		}
	}
	return nil
}

// matches reports whether c matches name, which is lower case.
func (c *clause) matches(name string) bool {
	switch {
	case c.Equals != nil:
		return name == strings.ToLower(*c.Equals)
	case c.StartsWith != nil:
		return strings.HasPrefix(name, strings.ToLower(*c.StartsWith))
	case c.EndsWith != nil:
		return strings.HasSuffix(name, strings.ToLower(*c.EndsWith))
	case c.Contains != nil:
		return strings.Contains(name, strings.ToLower(*c.Contains))
	case c.re != nil:
		return c.re.matches(name)
	case c.Or != nil:
		for i := range c.Or {
			if c.Or[i].matches(name) {
				return true
			}
		}
		return false
	default:
		for i := range c.And {
			if !c.And[i].matches(name) {
				return false
			}
		}
		return true
	}
}

// literals returns the names c spells out: its equals, starts_with,
// ends_with and contains values, lower-cased. A value that ends in a
// separator ("ft:gpt-4o-2024-", "claude-sonnet-4@") is a prefix, never a
// model's whole name, and is left out; so are regexes.
func (c *clause) literals() []string {
	var out []string
	for _, v := range []*string{c.Equals, c.StartsWith, c.EndsWith, c.Contains} {
		if v != nil {
			if s := strings.ToLower(strings.TrimSpace(*v)); s != "" && !strings.ContainsAny(s[len(s)-1:], "-@.:/_") {
				out = append(out, s)
			}
		}
	}
	for i := range c.Or {
		out = append(out, c.Or[i].literals()...)
	}
	for i := range c.And {
		out = append(out, c.And[i].literals()...)
	}
	return out
}

// compiledRegex is a JavaScript regex of the dataset in Go's syntax. Go's
// RE2 has no lookahead, and the dataset uses one form of it: a leading
// negative lookahead that excludes names, "^(?!X)Y" (Y may be empty). It
// becomes "does not match ^X, and matches ^Y".
type compiledRegex struct {
	re     *regexp.Regexp // nil: no positive part
	except *regexp.Regexp // nil: no lookahead
}

func compileRegex(src string) (*compiledRegex, error) {
	wrap := func(err error) error { return fmt.Errorf("regex %q: %w", src, err) }
	rest, ok := strings.CutPrefix(src, "^(?!")
	if !ok {
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, wrap(err)
		}
		return &compiledRegex{re: re}, nil
	}
	end := closingParen(rest)
	if end < 0 {
		return nil, wrap(errors.New("unclosed lookahead"))
	}
	x, y := rest[:end], rest[end+1:]
	if lookaround(x) || lookaround(y) || topLevelAlternation(y) {
		return nil, wrap(errors.New("lookahead other than one leading exclusion"))
	}
	except, err := regexp.Compile("^(?:" + x + ")")
	if err != nil {
		return nil, wrap(err)
	}
	r := &compiledRegex{except: except}
	if y != "" {
		if r.re, err = regexp.Compile("^(?:" + y + ")"); err != nil {
			return nil, wrap(err)
		}
	}
	return r, nil
}

func (r *compiledRegex) matches(name string) bool {
	if r.except != nil && r.except.MatchString(name) {
		return false
	}
	return r.re == nil || r.re.MatchString(name)
}

func lookaround(src string) bool {
	return strings.Contains(src, "(?=") || strings.Contains(src, "(?!") || strings.Contains(src, "(?<")
}

// closingParen returns the index in src of the parenthesis that closes
// one already open, skipping escapes and character classes, or -1.
func closingParen(src string) int {
	depth, inClass := 1, false
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// topLevelAlternation reports whether src has a '|' outside any group,
// which anchoring it as "^(?:src)" would change the meaning of.
func topLevelAlternation(src string) bool {
	depth, inClass := 0, false
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			return true
		}
	}
	return false
}
