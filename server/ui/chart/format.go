package chart

import (
	"math"
	"strconv"
	"strings"
)

// notANumber is what the formats print for NaN and ±Inf, which the charts
// skip but a caller might still format.
const notANumber = "–"

// FormatCount prints counts compactly: 999, 1.2k, 12.3k, 123k, 3.4M, 1.5B.
func FormatCount(v float64) string {
	if !finite(v) {
		return notANumber
	}
	sign, a := split(v)
	units := []struct {
		div    float64
		suffix string
	}{{1, ""}, {1e3, "k"}, {1e6, "M"}, {1e9, "B"}, {1e12, "T"}}
	i := 0
	for i < len(units)-1 && a >= units[i+1].div {
		i++
	}
	s := short(a / units[i].div)
	if s == "1000" && i < len(units)-1 { // 999,960 reads 1M, not 1000k
		i++
		s = short(a / units[i].div)
	}
	return signed(sign, s+units[i].suffix)
}

// short prints three significant figures at most, trimming a zero decimal.
func short(a float64) string {
	if a >= 100 {
		return strconv.FormatFloat(math.Round(a), 'f', 0, 64)
	}
	return oneDecimal(a)
}

// FormatUSD prints dollars: $12.40, $1,234.50, and for amounts under ten
// cents enough decimals for three significant figures ($0.0123), because a
// single LLM call costs a fraction of a cent.
func FormatUSD(v float64) string {
	if !finite(v) {
		return notANumber
	}
	sign, a := split(v)
	if a == 0 || a >= 0.1 {
		s := strconv.FormatFloat(a, 'f', 2, 64)
		whole, cents, _ := strings.Cut(s, ".")
		return signed(sign, "$"+group(whole)+"."+cents)
	}
	decimals := min(8, max(2, 2-int(math.Floor(math.Log10(a)))))
	s := strconv.FormatFloat(a, 'f', decimals, 64)
	// Keep cents, drop zeros beyond them: axis ticks read $0.02, not $0.0200.
	for strings.HasSuffix(s, "0") && len(s) > strings.Index(s, ".")+3 {
		s = s[:len(s)-1]
	}
	return signed(sign, "$"+s)
}

// FormatMillis prints a duration given in milliseconds: 0.4 ms, 85 ms,
// 1.2 s, 2.5 min.
func FormatMillis(v float64) string {
	if !finite(v) {
		return notANumber
	}
	sign, a := split(v)
	switch {
	case a >= 60_000 || oneDecimal(a/1000) == "60":
		return signed(sign, oneDecimal(a/60_000)+" min")
	case a >= 1000 || math.Round(a) >= 1000:
		return signed(sign, oneDecimal(a/1000)+" s")
	case a < 10:
		return signed(sign, oneDecimal(a)+" ms")
	}
	return signed(sign, strconv.FormatFloat(math.Round(a), 'f', 0, 64)+" ms")
}

// FormatPercent prints a fraction as a percentage: 0.045 is 4.5%. Rates
// under one percent keep two decimals so that 0.04% does not read as 0%.
func FormatPercent(v float64) string {
	if !finite(v) {
		return notANumber
	}
	sign, a := split(v * 100)
	if a > 0 && a < 1 {
		s := strconv.FormatFloat(a, 'f', 2, 64)
		return signed(sign, strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".0")+"%")
	}
	return signed(sign, oneDecimal(a)+"%")
}

// split separates the sign so that negative amounts read -$1.00, not $-1.00.
func split(v float64) (sign string, abs float64) {
	if v < 0 {
		return "-", -v
	}
	return "", v
}

// signed puts the sign back, unless s printed as zero: -0.001 ms reads 0 ms.
func signed(sign, s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r >= '1' && r <= '9' }) < 0 {
		return s
	}
	return sign + s
}

// oneDecimal prints v with one decimal, dropping it when it is zero.
func oneDecimal(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
}

// group puts thousands separators into a string of digits.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
