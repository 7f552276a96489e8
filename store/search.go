package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// What q= matches, the one definition both backends store and search.
//
// A span's search text is its name, its error message, and the text of its
// input and output: their JSON string values, in document order, except
// the values of the recorded chat shape's structural keys (structuralKeys),
// so that searching "user" or "text" does not find every llm span. Object
// keys are not text. The pieces are joined by newlines, folded (Fold) and
// cut at MaxSpanSearchBytes.
//
// A trace's search text is its spans' texts in the order the store
// received them, joined by newlines and cut at MaxTraceSearchRunes
// characters (JoinSearchText). A query matches a trace, or a span, when
// Fold(query) is a substring of its search text.
//
// Fold is full Unicode case folding (golang.org/x/text/cases.Fold, the
// CaseFolding.txt mappings C and F): "É" and "é" match, "Σ", "σ" and "ς"
// match, "Straße" matches "STRASSE". It does not normalise: a precomposed
// "é" does not match "e" followed by a combining accent. Full folding is
// chosen over lower-casing because it is what case-insensitive means for
// Unicode (lower-casing leaves "ς" apart from "σ" and "ß" from "ss"), and
// because both sides are folded in Go, the databases only compare bytes.
const (
	// MaxSpanSearchBytes bounds a span's search text: enough for the
	// prompt and answer people search for, small enough to store per span.
	MaxSpanSearchBytes = 4 << 10
	// MaxTraceSearchRunes bounds a trace's search text, in characters
	// (Unicode code points) rather than bytes because that is what
	// PostgreSQL's left() and SQLite's substr() count, so the cut falls in
	// the same place in Go and in SQL.
	MaxTraceSearchRunes = 64 << 10
)

// structuralKeys are the keys of the recorded chat shape (sdk/chat.go)
// whose string values name structure, not content.
var structuralKeys = map[string]bool{
	"type": true, "role": true, "modality": true, "mime_type": true,
	"id": true, "file_id": true, "finish_reason": true,
}

// folder is stateless and safe for concurrent use (x/text/cases).
var folder = cases.Fold()

// Fold is the case folding that search text and queries share.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return folder.String(s)
		}
	}
	return lowerASCII(s)
}

// SearchText returns the search text of s (see MaxSpanSearchBytes). It
// reads at most what the cut keeps, whatever the size of the input and
// output.
func SearchText(s *Span) string {
	w := searchWriter{}
	w.buf.Grow(min(len(s.Name)+len(s.ErrorMessage)+len(s.Input)+len(s.Output), MaxSpanSearchBytes))
	scratch := scratchPool.Get().(*[]byte)
	w.scratch = (*scratch)[:0]
	w.add([]byte(s.Name))
	w.add([]byte(s.ErrorMessage))
	w.json(s.Input)
	w.json(s.Output)
	if cap(w.scratch) <= 4*MaxSpanSearchBytes { // what unquote keeps, at most
		*scratch = w.scratch
		scratchPool.Put(scratch)
	}
	return w.buf.String()
}

// scratchPool holds the buffers SearchText unquotes strings into, so
// that a write indexing thousands of spans does not grow one for each.
var scratchPool = sync.Pool{New: func() any { return new([]byte) }}

// JoinSearchText appends a span's search text to a trace's, by the rule in
// the package comment. Backends that build the text in SQL follow it to
// the character; the conformance suite checks that they do.
func JoinSearchText(trace, span string) string {
	if trace == "" {
		return cutRunes(span, MaxTraceSearchRunes)
	}
	if utf8.RuneCountInString(trace) >= MaxTraceSearchRunes {
		return cutRunes(trace, MaxTraceSearchRunes)
	}
	return cutRunes(trace+"\n"+span, MaxTraceSearchRunes)
}

// cutRunes returns the first n characters of s.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}

// searchJoiner joins span texts into a trace's as JoinSearchText does,
// one after the other, in time linear in what it keeps.
type searchJoiner struct {
	buf strings.Builder
	// runes counts the characters in buf once counted is set: while buf
	// and the next text fit in MaxTraceSearchRunes bytes they fit in as
	// many characters (a character takes a byte at least), so nothing is
	// counted until a trace's text comes near the cut.
	runes   int
	counted bool
}

func (j *searchJoiner) add(text string) {
	if !j.counted {
		if j.buf.Len()+1+len(text) <= MaxTraceSearchRunes {
			if j.buf.Len() > 0 {
				j.buf.WriteByte('\n')
			}
			j.buf.WriteString(text)
			return
		}
		j.runes, j.counted = utf8.RuneCountInString(j.buf.String()), true
	}
	if j.runes >= MaxTraceSearchRunes {
		return
	}
	if j.buf.Len() > 0 {
		j.buf.WriteByte('\n')
		j.runes++
	}
	if j.runes+len(text) <= MaxTraceSearchRunes { // no cut
		j.buf.WriteString(text)
		j.runes += utf8.RuneCountInString(text)
		return
	}
	for i := range text {
		if j.runes == MaxTraceSearchRunes {
			j.buf.WriteString(text[:i])
			return
		}
		j.runes++
	}
	j.buf.WriteString(text)
}

// isASCII reports whether b is all ASCII, eight bytes at a time.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, ch := range b {
		if ch >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldsASCII marks the ASCII bytes that search text changes: capitals,
// which fold, and NUL, which becomes a space.
var foldsASCII = func() (t [256]bool) {
	for ch := 'A'; ch <= 'Z'; ch++ {
		t[ch] = true
	}
	t[0] = true
	return t
}()

// skipUnfolded returns the index of the first byte of p, all ASCII, that
// folding changes (foldsASCII), or len(p): eight bytes at a time while
// none of them does.
func skipUnfolded(p []byte) int {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		x := binary.LittleEndian.Uint64(p[i:])
		// Bytes below 0x80 add without a carry out of their byte: the
		// high bit says >= 'A', and not >= 'Z'+1.
		capital := (x + ones*(0x80-'A')) &^ (x + ones*(0x80-'Z'-1))
		if (capital&highs)|hasZeroByte(x) != 0 {
			break
		}
	}
	for i < len(p) && !foldsASCII[p[i]] {
		i++
	}
	return i
}

// searchWriter gathers folded pieces until it holds MaxSpanSearchBytes.
type searchWriter struct {
	buf     strings.Builder
	scratch []byte
}

func (w *searchWriter) full() bool { return w.buf.Len() >= MaxSpanSearchBytes }

// add appends a piece of text, folded, after a newline, cut where the
// writer fills up (on a character boundary).
func (w *searchWriter) add(piece []byte) {
	if len(piece) == 0 || w.full() {
		return
	}
	if w.buf.Len() > 0 {
		w.buf.WriteByte('\n')
	}
	room := MaxSpanSearchBytes - w.buf.Len()
	// Folding can shrink text threefold at most (the Kelvin sign, three
	// bytes, folds to "k"), so this much of the piece fills the rest.
	if limit := 3*room + utf8.UTFMax; len(piece) > limit {
		piece = piece[:limit]
		for len(piece) > 0 && !utf8.RuneStart(piece[len(piece)-1]) {
			piece = piece[:len(piece)-1]
		}
		if len(piece) > 0 {
			piece = piece[:len(piece)-1] // a rune that may be cut short
		}
	}
	if isASCII(piece) {
		// Runs that fold to themselves go in whole.
		p := piece[:min(len(piece), room)]
		for len(p) > 0 {
			i := skipUnfolded(p)
			w.buf.Write(p[:i])
			if i == len(p) {
				break
			}
			ch := p[i]
			if ch == 0 {
				ch = ' ' // PostgreSQL's text cannot hold NUL
			} else {
				ch += 'a' - 'A'
			}
			w.buf.WriteByte(ch)
			p = p[i+1:]
		}
		return
	}
	folded := folder.Bytes(piece)
	if len(folded) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(folded[cut]) {
			cut--
		}
		folded = folded[:cut]
	}
	for i, ch := range folded {
		if ch == 0 {
			folded[i] = ' '
		}
	}
	if !utf8.Valid(folded) {
		folded = []byte(strings.ToValidUTF8(string(folded), "\uFFFD"))
		for len(folded) > room { // a replacement may be longer than what it replaced
			_, size := utf8.DecodeLastRune(folded)
			folded = folded[:len(folded)-size]
		}
	}
	w.buf.Write(folded)
}

// json adds the string values of a JSON document, skipping keys and the
// values of structural keys. It stops, without failing, at anything that
// is not JSON: the document was validated before.
func (w *searchWriter) json(b []byte) {
	var objects [MaxJSONDepth / 64]uint64
	depth := 0
	expectKey, skip := false, false
	for i := 0; i < len(b) && !w.full(); {
		switch ch := b[i]; ch {
		case '{', '[':
			if depth == MaxJSONDepth {
				return
			}
			word, bit := depth/64, uint64(1)<<(depth%64)
			objects[word] &^= bit
			if ch == '{' {
				objects[word] |= bit
			}
			depth++
			expectKey, skip = ch == '{', false
			i++
		case '}', ']':
			if depth == 0 {
				return
			}
			depth--
			expectKey, skip = false, false
			i++
		case ',':
			expectKey = depth > 0 && objects[(depth-1)/64]&(1<<((depth-1)%64)) != 0
			skip = false
			i++
		case '"':
			var next int
			w.scratch, next = unquote(b, i, w.scratch[:0], 3*MaxSpanSearchBytes+utf8.UTFMax)
			switch {
			case expectKey:
				skip, expectKey = structuralKeys[string(w.scratch)], false
			case skip:
				skip = false
			default:
				w.add(w.scratch)
			}
			if next < 0 {
				return
			}
			i = next
		default:
			i++ // whitespace, a colon, numbers and literals
		}
	}
}

// unquote appends to dst the decoded content of the JSON string starting
// at b[at], up to max bytes, and returns the index after its closing
// quote, or -1 when the string does not end. A lone surrogate escape
// decodes to U+FFFD, as encoding/json decodes it; \u0000 to a space.
func unquote(b []byte, at int, dst []byte, max int) ([]byte, int) {
	i := at + 1
	quote := -1 // the next quote at or after i, or len(b)
	for i < len(b) {
		start := i
		// The run up to the next quote or backslash, found with
		// IndexByte, which reads many bytes at a time; the quote is
		// looked for again only once passed, so many escapes in a long
		// string cost no more than one pass.
		if quote < i {
			if q := bytes.IndexByte(b[i:], '"'); q < 0 {
				quote = len(b)
			} else {
				quote = i + q
			}
		}
		i = quote
		if e := bytes.IndexByte(b[start:i], '\\'); e >= 0 {
			i = start + e
		}
		if room := max - len(dst); room > 0 {
			dst = append(dst, b[start:min(i, start+room)]...)
		}
		if i >= len(b) {
			return dst, -1
		}
		if b[i] == '"' {
			return dst, i + 1
		}
		if i+1 >= len(b) {
			return dst, -1
		}
		var r rune
		switch e := b[i+1]; e {
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			c := jsonChecker{b: b}
			u, ok := c.hex4(i + 2)
			if !ok {
				return dst, -1
			}
			i += 4
			r = u
			switch {
			case u == 0:
				r = ' '
			case 0xd800 <= u && u <= 0xdbff:
				r = utf8.RuneError
				if i+7 < len(b) && b[i+2] == '\\' && b[i+3] == 'u' {
					if low, ok := c.hex4(i + 4); ok && 0xdc00 <= low && low <= 0xdfff {
						r = 0x10000 + (u-0xd800)<<10 + (low - 0xdc00)
						i += 6
					}
				}
			case 0xdc00 <= u && u <= 0xdfff:
				r = utf8.RuneError
			}
		default:
			r = rune(e) // \" \\ \/
		}
		i += 2
		if len(dst) < max {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst, -1
}

// SearchWords is what a trigram index needs of a search text: its
// distinct words, split on white space as QueryWords splits a query
// (strings.Fields' white space), sorted and joined by spaces. Each word of
// a query that a text holds lies within one word of that text, so the
// words of the text hold it too: an index of the words finds the same
// candidates as one of the whole text, from a fraction of it (a word
// repeated is indexed once).
//
// A trace's text repeats whole lines (the conversation so far goes into
// every call of it) and most of its words: a line seen before is skipped
// whole, and words are told apart with a set before the few distinct ones
// are sorted.
func SearchWords(text string) string {
	sets := wordSetsPool.Get().(*wordSets)
	defer sets.put()
	lines, seen, words := sets.lines, sets.seen, sets.words[:0]
	size := 0
	for text != "" {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		if _, ok := lines[line]; ok {
			continue
		}
		lines[line] = struct{}{}
		for i := 0; i < len(line); {
			start := i
			for i < len(line) {
				if c := line[i]; c < utf8.RuneSelf {
					if asciiSpace[c] {
						break
					}
					i++
					continue
				}
				r, n := utf8.DecodeRuneInString(line[i:])
				if unicode.IsSpace(r) {
					break
				}
				i += n
			}
			if i > start {
				w := line[start:i]
				if _, ok := seen[w]; !ok {
					seen[w] = struct{}{}
					words = append(words, w)
					size += len(w) + 1
				}
			}
			// Past the white space.
			for i < len(line) {
				if c := line[i]; c < utf8.RuneSelf {
					if !asciiSpace[c] {
						break
					}
					i++
					continue
				}
				r, n := utf8.DecodeRuneInString(line[i:])
				if !unicode.IsSpace(r) {
					break
				}
				i += n
			}
		}
	}
	sets.words = words
	slices.Sort(words)
	var b strings.Builder
	b.Grow(size)
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// wordSets are SearchWords' sets, kept between calls: a write finds the
// words of every trace it touches, and the sets' memory outlives each.
type wordSets struct {
	lines, seen map[string]struct{}
	words       []string
}

var wordSetsPool = sync.Pool{New: func() any {
	return &wordSets{lines: make(map[string]struct{}, 16), seen: make(map[string]struct{}, 64)}
}}

// put empties the sets, so that they hold no part of the text, and keeps
// them for the next call unless a huge text made them large.
func (w *wordSets) put() {
	if len(w.seen) > 1<<12 || len(w.lines) > 1<<12 { // clearing costs what the map grew to
		return
	}
	clear(w.lines)
	clear(w.seen)
	clear(w.words)
	w.words = w.words[:0]
	wordSetsPool.Put(w)
}

// asciiSpace is strings.Fields' ASCII white space.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// QueryWords returns the distinct words of a folded query, longest first:
// what a backend looks up in an index of SearchWords before checking the
// search text for the query itself.
func QueryWords(folded string) []string {
	words := strings.Fields(folded)
	slices.SortFunc(words, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	return slices.Compact(words)
}
