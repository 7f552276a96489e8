package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Frame is what the layout shows around every signed-in page.
type Frame struct {
	Title, Nav     string
	UserEmail      string
	IsAdmin        bool
	ProjectID      int64
	ProjectName    string
	Projects       []ProjectOption
	CSRF           string
	RefreshSeconds int // reload the page every so often; 0: never
}

// ProjectOption is one entry of the project switcher.
type ProjectOption struct {
	ID   int64
	Name string
}

// LoginView is the sign-in form.
type LoginView struct {
	CSRF, Next, Email, Error string
}

func parseID(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// formatDuration prints a duration the way people read latencies.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// formatCost prints a cost with its significant digits: two decimals
// from a dollar up ("$12.35"), else three significant digits ("$0.0151",
// "$0.000445"), never fewer than two decimals ("$0.50").
func formatCost(c float64) string {
	switch {
	case c == 0 || math.IsNaN(c) || math.IsInf(c, 0):
		return "–"
	case c >= 1:
		return "$" + groupDigits(strconv.FormatFloat(c, 'f', 2, 64))
	}
	decimals := max(2, 2-int(math.Floor(math.Log10(c))))
	s := strconv.FormatFloat(c, 'f', decimals, 64)
	for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.') > 3 {
		s = s[:len(s)-1]
	}
	return "$" + s
}

// formatCount prints a count in full with thousands separators ("7,544",
// "18,700"): one format on every page, so that sums visibly agree with
// their parts.
func formatCount(n int64) string { return groupDigits(strconv.FormatInt(n, 10)) }

// groupDigits puts a comma between each three digits of a number's
// integer part.
func groupDigits(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	if len(intPart) <= 3 {
		return sign + s
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + frac
}
