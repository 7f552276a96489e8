package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// What a JSON field must be for every backend to hold it. PostgreSQL keeps
// input, output and the raw payloads as json (text it checks for syntax)
// and attributes and metadata as jsonb (parsed), which refuses more: a
// \u0000 escape, a lone UTF-16 surrogate escape, and numbers its numeric
// type cannot represent. Checking all of it when a span is validated, at
// ingest, means a batch that was acknowledged can always be written.

// MaxJSONDepth bounds the nesting of arrays and objects in every JSON
// field. PostgreSQL fails deep jsonb with "stack depth limit exceeded"
// (54001) somewhere in the thousands, depending on its stack; 512 is far
// beyond any real payload and well inside every store's limit.
const MaxJSONDepth = 512

// The bounds of PostgreSQL's numeric type, which jsonb stores numbers in
// (measured on PostgreSQL 15: 1e131071 is accepted and 1e131072 is not;
// 1e-16383 is accepted and 1e-16384, or 0.5e-16383, is not): a number's
// most significant digit must stand at most at 10^131071, and it may have
// at most 16383 digits after the decimal point, counting those of the
// text written minus the exponent.
const (
	maxNumericPower = 131071
	maxNumericScale = 16383
	// maxNumericExponent: PostgreSQL refuses any exponent at or beyond
	// INT32_MAX/2, even on a zero.
	maxNumericExponent = 1<<30 - 2
)

// JSONKind says which checks a JSON field needs.
type JSONKind int

// The kinds of JSON field a span has.
const (
	// JSONText is kept as text (input, output, raw payloads): valid
	// UTF-8, valid JSON, bounded depth.
	JSONText JSONKind = iota
	// JSONB is parsed by the database (attributes, metadata): JSONText's
	// checks, plus no \u0000 escape, no lone surrogate escape and only
	// numbers PostgreSQL's numeric can hold.
	JSONB
)

// CheckJSON reports why b cannot be stored as a JSON field of kind k, or
// nil. It reads b once and allocates nothing unless it fails.
func CheckJSON(b []byte, k JSONKind) error {
	c := jsonChecker{b: b, jsonb: k == JSONB}
	if err := c.check(); err != nil {
		return err
	}
	return nil
}

// JSONValueEnd returns the index just past the JSON value that starts at
// b[at], checked as CheckJSON checks a JSONText field (syntax, UTF-8,
// depth); what follows the value is not read. It is how a reader of a
// larger document, such as a batch of spans, finds the extent of each
// value it holds.
func JSONValueEnd(b []byte, at int) (int, error) {
	if at < 0 || at > len(b) {
		return 0, errJSONEnd
	}
	c := jsonChecker{b: b, i: at, prefix: true}
	if err := c.check(); err != nil {
		return 0, err
	}
	return c.i, nil
}

// jsonChecker is one pass over a document. containers records, one bit
// per level, whether each open container is an object. prefix says the
// document is one value at the start of b, not all of b.
type jsonChecker struct {
	b          []byte
	i          int
	jsonb      bool
	prefix     bool
	depth      int
	containers [MaxJSONDepth / 64]uint64
}

var (
	errJSONSyntax = errors.New("is not valid JSON")
	errJSONEnd    = errors.New("is not valid JSON: unexpected end")
)

func (c *jsonChecker) syntax() error {
	if c.i >= len(c.b) {
		return errJSONEnd
	}
	return fmt.Errorf("is not valid JSON: unexpected %q at byte %d", c.b[c.i], c.i)
}

func (c *jsonChecker) check() error {
	c.space()
	for {
		if err := c.value(); err != nil {
			return err
		}
		// After a value: close containers or move to the next element.
		for {
			if c.depth == 0 && c.prefix {
				return nil
			}
			c.space()
			if c.depth == 0 {
				if c.i != len(c.b) {
					return c.syntax()
				}
				return nil
			}
			if c.i >= len(c.b) {
				return errJSONEnd
			}
			inObject := c.containers[(c.depth-1)/64]&(1<<((c.depth-1)%64)) != 0
			switch ch := c.b[c.i]; {
			case ch == ',':
				c.i++
				c.space()
				if inObject {
					if err := c.key(); err != nil {
						return err
					}
				}
			case ch == '}' && inObject, ch == ']' && !inObject:
				c.i++
				c.depth--
				continue
			default:
				return c.syntax()
			}
			break
		}
	}
}

// value reads one value. A container it opens stays open, its first key
// read, and value goes on to the container's first element: it returns
// after a scalar or an empty container, and the caller closes the rest.
func (c *jsonChecker) value() error {
	for {
		if c.i >= len(c.b) {
			return errJSONEnd
		}
		switch ch := c.b[c.i]; {
		case ch == '{' || ch == '[':
			if c.depth == MaxJSONDepth {
				return fmt.Errorf("nests deeper than %d levels", MaxJSONDepth)
			}
			word, bit := c.depth/64, uint64(1)<<(c.depth%64)
			c.containers[word] &^= bit
			if ch == '{' {
				c.containers[word] |= bit
			}
			c.depth++
			c.i++
			c.space()
			if c.i < len(c.b) && (ch == '{' && c.b[c.i] == '}' || ch == '[' && c.b[c.i] == ']') {
				c.i++
				c.depth--
				return nil
			}
			if ch == '{' {
				if err := c.key(); err != nil {
					return err
				}
			}
		case ch == '"':
			return c.str()
		case ch == '-' || '0' <= ch && ch <= '9':
			return c.number()
		case ch == 't':
			return c.literal("true")
		case ch == 'f':
			return c.literal("false")
		case ch == 'n':
			return c.literal("null")
		default:
			return c.syntax()
		}
	}
}

// key reads an object key and its colon.
func (c *jsonChecker) key() error {
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return c.syntax()
	}
	if err := c.str(); err != nil {
		return err
	}
	c.space()
	if c.i >= len(c.b) || c.b[c.i] != ':' {
		return c.syntax()
	}
	c.i++
	c.space()
	return nil
}

func (c *jsonChecker) space() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *jsonChecker) literal(word string) error {
	if len(c.b)-c.i < len(word) || string(c.b[c.i:c.i+len(word)]) != word {
		return c.syntax()
	}
	c.i += len(word)
	return nil
}

// plain marks the bytes a string may hold as they are: printable ASCII
// other than the quote and the backslash.
var plain = func() (t [256]bool) {
	for ch := 0x20; ch < 0x80; ch++ {
		t[ch] = ch != '"' && ch != '\\'
	}
	return t
}()

// skipPlain returns the index of the first byte at or after i that is not
// plain, or len(b): eight bytes at a time while none of them is special.
func skipPlain(b []byte, i int) int {
	for i+8 <= len(b) && !specialWord(binary.LittleEndian.Uint64(b[i:])) {
		i += 8
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// Masks of the byte-wise tests on a word of eight bytes.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// specialWord reports whether any of the eight bytes in x is not plain:
// a control character, a quote, a backslash or a byte of a multi-byte
// character. Each test is exact for the word as a whole (a borrow only
// spreads upward from a byte that passed it).
func specialWord(x uint64) bool {
	control := (x - ones*0x20) &^ x
	quote := hasZeroByte(x ^ (ones * '"'))
	backslash := hasZeroByte(x ^ (ones * '\\'))
	return (control|quote|backslash|x)&highs != 0
}

// hasZeroByte is nonzero, in the high bit of a zero byte at least, when
// one of x's bytes is zero.
func hasZeroByte(x uint64) uint64 { return (x - ones) &^ x & highs }

// str reads a string, checking its UTF-8 and escapes.
func (c *jsonChecker) str() error {
	c.i++ // the opening quote
	for {
		c.i = skipPlain(c.b, c.i)
		if c.i >= len(c.b) {
			return errJSONEnd
		}
		switch ch := c.b[c.i]; {
		case ch == '"':
			c.i++
			return nil
		case ch == '\\':
			if err := c.escape(); err != nil {
				return err
			}
		case ch < 0x20:
			return fmt.Errorf("is not valid JSON: control character %#x in a string at byte %d", ch, c.i)
		default:
			r, size := utf8.DecodeRune(c.b[c.i:])
			if r == utf8.RuneError && size == 1 {
				return fmt.Errorf("is not valid UTF-8 at byte %d", c.i)
			}
			c.i += size
		}
	}
}

// escape reads one escape sequence, and for jsonb a \u escape's partner:
// a high surrogate must be followed by a low one, and a low one must
// follow a high one.
func (c *jsonChecker) escape() error {
	if c.i+1 >= len(c.b) {
		return errJSONEnd
	}
	switch c.b[c.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		c.i += 2
		return nil
	case 'u':
	default:
		c.i++
		return c.syntax()
	}
	r, ok := c.hex4(c.i + 2)
	if !ok {
		return fmt.Errorf("is not valid JSON: bad \\u escape at byte %d", c.i)
	}
	at := c.i
	c.i += 6
	if !c.jsonb {
		return nil
	}
	switch {
	case r == 0:
		return errors.New("contains a \\u0000 escape, which PostgreSQL's jsonb cannot store")
	case 0xdc00 <= r && r <= 0xdfff:
		return fmt.Errorf("contains a lone surrogate escape at byte %d, which PostgreSQL's jsonb cannot store", at)
	case 0xd800 <= r && r <= 0xdbff:
		if c.i+1 < len(c.b) && c.b[c.i] == '\\' && c.b[c.i+1] == 'u' {
			if low, ok := c.hex4(c.i + 2); ok && 0xdc00 <= low && low <= 0xdfff {
				c.i += 6
				return nil
			}
		}
		return fmt.Errorf("contains a lone surrogate escape at byte %d, which PostgreSQL's jsonb cannot store", at)
	}
	return nil
}

func (c *jsonChecker) hex4(at int) (rune, bool) {
	if at+4 > len(c.b) {
		return 0, false
	}
	var r rune
	for _, ch := range c.b[at : at+4] {
		switch {
		case '0' <= ch && ch <= '9':
			r = r<<4 | rune(ch-'0')
		case 'a' <= ch && ch <= 'f':
			r = r<<4 | rune(ch-'a'+10)
		case 'A' <= ch && ch <= 'F':
			r = r<<4 | rune(ch-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number reads a number by JSON's grammar and, for jsonb, checks it fits
// PostgreSQL's numeric.
func (c *jsonChecker) number() error {
	start := c.i
	if c.b[c.i] == '-' {
		c.i++
	}
	// power is the decimal position of the first non-zero digit,
	// before the exponent; nonzero says whether there is one.
	var intDigits, fracDigits, power int
	nonzero := false
	switch {
	case c.i < len(c.b) && c.b[c.i] == '0':
		c.i++
	case c.i < len(c.b) && '1' <= c.b[c.i] && c.b[c.i] <= '9':
		for c.i < len(c.b) && '0' <= c.b[c.i] && c.b[c.i] <= '9' {
			c.i++
			intDigits++
		}
		nonzero, power = true, intDigits-1
	default:
		return c.syntax()
	}
	if c.i < len(c.b) && c.b[c.i] == '.' {
		c.i++
		for c.i < len(c.b) && '0' <= c.b[c.i] && c.b[c.i] <= '9' {
			if !nonzero && c.b[c.i] != '0' {
				nonzero, power = true, -(fracDigits + 1)
			}
			c.i++
			fracDigits++
		}
		if fracDigits == 0 {
			return c.syntax()
		}
	}
	exp := 0
	if c.i < len(c.b) && (c.b[c.i] == 'e' || c.b[c.i] == 'E') {
		c.i++
		neg := false
		if c.i < len(c.b) && (c.b[c.i] == '+' || c.b[c.i] == '-') {
			neg = c.b[c.i] == '-'
			c.i++
		}
		digits := 0
		for c.i < len(c.b) && '0' <= c.b[c.i] && c.b[c.i] <= '9' {
			if exp <= maxNumericExponent {
				exp = exp*10 + int(c.b[c.i]-'0')
			}
			c.i++
			digits++
		}
		if digits == 0 {
			return c.syntax()
		}
		if neg {
			exp = -exp
		}
	}
	if !c.jsonb {
		return nil
	}
	scale := max(fracDigits-exp, 0)
	if exp > maxNumericExponent || exp < -maxNumericExponent || scale > maxNumericScale ||
		nonzero && power+exp > maxNumericPower {
		return fmt.Errorf("holds the number %.40s at byte %d, beyond what PostgreSQL's numeric can store", c.b[start:c.i], start)
	}
	return nil
}
