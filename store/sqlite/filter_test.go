package sqlite

import "testing"

func TestTrigramMatch(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{
		"":                   "",
		"ab":                 "",
		"ab cd":              "",
		"abc":                `"abc"`,
		"abcd":               `"abc" AND "bcd"`,
		"abcdef":             `"abc" AND "def"`,
		"abcdefg":            `"abc" AND "def" AND "efg"`,
		`a"b`:                `"a""b"`,
		"éλ😀x":               `"éλ😀" AND "λ😀x"`,
		`say "hi" to`:        `"""hi" AND "hi""" AND "say"`,
		"question 4242:":     `"que" AND "sti" AND "ion" AND "424" AND "42:"`,
		"a b c d e f gh ijk": `"ijk"`,
	} {
		if got := trigramMatch(q); got != want {
			t.Errorf("trigramMatch(%q) = %s, want %s", q, got, want)
		}
	}
}
