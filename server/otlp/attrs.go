package otlp

import (
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// spanAttrs indexes one span's attributes in a single pass: the keys the
// mapping reads by slot, the prefixed families in lists. A rule that fills
// a field from an attribute marks it used; everything not used is written
// to the span's attributes afterwards, so nothing is dropped and nothing
// is recorded twice. One spanAttrs is reused for every span of an export.
type spanAttrs struct {
	src  pcommon.Map
	vals [numKeys]pcommon.Value
	has  [(numKeys + 63) / 64]uint64
	used [(numKeys + 63) / 64]uint64

	fams    [numFamilies][]flatAttr
	famUsed [numFamilies]bool
}

// flatAttr is one attribute of a family: its name after the prefix.
type flatAttr struct {
	rest string
	val  pcommon.Value
}

func (a *spanAttrs) reset(m pcommon.Map) {
	a.src = m
	a.has, a.used = [len(a.has)]uint64{}, [len(a.used)]uint64{}
	for f := range a.fams {
		a.fams[f] = a.fams[f][:0]
		a.famUsed[f] = false
	}
	for name, v := range m.All() {
		if k, ok := keyByName[name]; ok {
			a.vals[k] = v
			a.has[k/64] |= 1 << (k % 64)
			continue
		}
		if f, rest, ok := familyOf(name); ok {
			a.fams[f] = append(a.fams[f], flatAttr{rest: rest, val: v})
		}
	}
}

func (a *spanAttrs) present(k key) bool { return a.has[k/64]&(1<<(k%64)) != 0 }

// use marks k as mapped: it is not repeated in the span's attributes.
func (a *spanAttrs) use(k key) { a.used[k/64] |= 1 << (k % 64) }

func (a *spanAttrs) isUsed(k key) bool { return a.used[k/64]&(1<<(k%64)) != 0 }

// value returns k's value when present and not empty.
func (a *spanAttrs) value(k key) (pcommon.Value, bool) {
	if !a.present(k) || a.vals[k].Type() == pcommon.ValueTypeEmpty {
		return pcommon.Value{}, false
	}
	return a.vals[k], true
}

// str returns k's value when it is a non-blank string.
func (a *spanAttrs) str(k key) (string, bool) {
	v, ok := a.value(k)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return "", false
	}
	s := v.Str()
	if strings.TrimSpace(s) == "" {
		return "", false
	}
	return s, true
}

// firstStr returns the first of keys holding a non-blank string, marking
// it used.
func (a *spanAttrs) firstStr(keys []key) (string, bool) {
	for _, k := range keys {
		if s, ok := a.str(k); ok {
			a.use(k)
			return s, true
		}
	}
	return "", false
}

// count reads k as a token count: an int, an integral double or a decimal
// string, between 0 and maxCount. Anything else is no count (and the
// attribute stays in the span's attributes).
func (a *spanAttrs) count(k key) (int64, bool) {
	v, ok := a.value(k)
	if !ok {
		return 0, false
	}
	return countOf(v)
}

func countOf(v pcommon.Value) (int64, bool) {
	var n int64
	switch v.Type() {
	case pcommon.ValueTypeInt:
		n = v.Int()
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if f != math.Trunc(f) || f < 0 || f > maxCount {
			return 0, false
		}
		n = int64(f)
	case pcommon.ValueTypeStr:
		var err error
		if n, err = strconv.ParseInt(strings.TrimSpace(v.Str()), 10, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if n < 0 || n > maxCount {
		return 0, false
	}
	return n, true
}

// number reads k as a finite number (an int, a double or a decimal
// string).
func (a *spanAttrs) number(k key) (float64, bool) {
	v, ok := a.value(k)
	if !ok {
		return 0, false
	}
	var f float64
	switch v.Type() {
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeStr:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(v.Str()), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// text returns k's value as JSON text when it is a string (as most
// emitters send structured values) or a map or array (as the GenAI
// conventions prefer), with its kind.
func (a *spanAttrs) text(k key) ([]byte, bool) {
	v, ok := a.value(k)
	if !ok {
		return nil, false
	}
	return valueText(v)
}

// valueText is text for one value: a string's bytes, or the JSON of a
// map or array.
func valueText(v pcommon.Value) ([]byte, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := strings.TrimSpace(v.Str())
		if s == "" {
			return nil, false
		}
		return []byte(cleanString(s)), true
	case pcommon.ValueTypeMap, pcommon.ValueTypeSlice:
		return appendValue(nil, v, 0, nil), true
	}
	return nil, false
}
