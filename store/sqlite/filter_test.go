package sqlite

import "testing"

func TestTrigramMatch(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{
		"":        "",
		"ab":      "",
		"abc":     `"abc"`,
		"abcd":    `"abc" AND "bcd"`,
		"abcdef":  `"abc" AND "def"`,
		"abcdefg": `"abc" AND "def" AND "efg"`,
		`a"b`:     `"a""b"`,
		"éλ😀x":    `"éλ😀" AND "λ😀x"`,
		`say "hi`: `"say" AND " ""h" AND """hi"`,
	} {
		if got := trigramMatch(q); got != want {
			t.Errorf("trigramMatch(%q) = %s, want %s", q, got, want)
		}
	}
}
