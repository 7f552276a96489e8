package ui

import (
	"fmt"
	"strconv"
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

func formatCost(c float64) string {
	switch {
	case c == 0:
		return "–"
	case c < 0.01:
		return fmt.Sprintf("$%.4f", c)
	}
	return fmt.Sprintf("$%.2f", c)
}

func formatCount(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return strconv.FormatInt(n, 10)
}
