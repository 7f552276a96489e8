package tracium

import "encoding/binary"

// A validating JSON scanner that finds the extent of values without
// decoding them. Recording a non-streaming LLM answer needs only a few
// small fields and the assistant message as raw JSON; encoding/json would
// scan the whole body twice (validate, then decode), which for a 20 KB
// answer costs more than the rest of the call's recording put together.

// maxJSONDepth bounds nesting so a hostile body cannot recurse deeply.
const maxJSONDepth = 512

// strSafe marks the bytes that need no attention inside a JSON string.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// scanValue returns the index just past the JSON value at b[i:] (after
// optional whitespace) and whether that value is valid JSON.
func scanValue(b []byte, i, depth int) (int, bool) {
	i = skipWS(b, i)
	if i >= len(b) || depth > maxJSONDepth {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return scanString(b, i)
	case c == '{':
		return scanObject(b, i, depth, nil)
	case c == '[':
		return scanArray(b, i, depth, nil)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '-' || '0' <= c && c <= '9':
		return scanNumber(b, i)
	}
	return i, false
}

// scanObject scans the object at b[i] and calls member, when not nil,
// with each key (still quoted and escaped) and raw value.
func scanObject(b []byte, i, depth int, member func(key, value []byte)) (int, bool) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		i = skipWS(b, i)
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		k, ok := scanString(b, i)
		if !ok {
			return k, false
		}
		key := b[i:k]
		i = skipWS(b, k)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		v := skipWS(b, i+1)
		if i, ok = scanValue(b, v, depth+1); !ok {
			return i, false
		}
		if member != nil {
			member(key, b[v:i])
		}
		i = skipWS(b, i)
		if i < len(b) && b[i] == ',' {
			i++
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		return i, false
	}
}

// scanArray scans the array at b[i], calling elem with each raw element.
func scanArray(b []byte, i, depth int, elem func(value []byte)) (int, bool) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		v := skipWS(b, i)
		var ok bool
		if i, ok = scanValue(b, v, depth+1); !ok {
			return i, false
		}
		if elem != nil {
			elem(b[v:i])
		}
		i = skipWS(b, i)
		if i < len(b) && b[i] == ',' {
			i++
			continue
		}
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		return i, false
	}
}

func scanString(b []byte, i int) (int, bool) {
	i++
	for i < len(b) {
		i = skipSafe(b, i)
		if i >= len(b) {
			break
		}
		switch b[i] {
		case '"':
			return i + 1, true
		case '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, false
				}
				for _, h := range b[i+2 : i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h|0x20 && h|0x20 <= 'f') {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		default: // a control character
			return i, false
		}
	}
	return i, false
}

// skipSafe returns the index of the first byte at or after i that ends
// or escapes a string, or is a control character. It tests eight bytes at
// a time: the word test may flag a safe word (it never misses), which the
// byte loop then settles.
func skipSafe(b []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs := x^(ones*'"'), x^(ones*'\\')
		flag := (x-ones*0x20)&^x | (q-ones)&^q | (bs-ones)&^bs
		if flag&highs != 0 {
			break
		}
		i += 8
	}
	for i < len(b) && strSafe[b[i]] {
		i++
	}
	return i
}

func scanLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

func scanDigits(b []byte, i int) (int, bool) {
	j := i
	for j < len(b) && '0' <= b[j] && b[j] <= '9' {
		j++
	}
	return j, j > i
}

func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	var ok bool
	if i < len(b) && b[i] == '0' {
		i++
	} else if i, ok = scanDigits(b, i); !ok {
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		if i, ok = scanDigits(b, i+1); !ok {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i, ok = scanDigits(b, i); !ok {
			return i, false
		}
	}
	return i, true
}

// topLevel calls member for each member of the JSON object b and reports
// whether b is exactly one valid object.
func topLevel(b []byte, member func(key, value []byte)) bool {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	end, ok := scanObject(b, i, 0, member)
	return ok && skipWS(b, end) == len(b)
}
