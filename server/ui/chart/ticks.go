package chart

import (
	"math"
	"time"
)

// targetIntervals is how many gaps between y ticks we aim for: 4 gaps give
// 5 ticks. Steps restricted to 1, 2 and 5 × 10ⁿ cannot always hit it (0–100
// has steps of 20 or 50), so the nearest count wins, then the tighter axis,
// so the data fills as much of the plot as it can.
const targetIntervals = 4

// niceTicks returns evenly spaced round values covering [lo, hi] and zero,
// with a step of 1, 2 or 5 × 10ⁿ; the first is the axis minimum and the last
// its maximum. Ticks are computed from integers so that 0.6 prints as 0.6,
// not 0.6000000000000001.
func niceTicks(lo, hi float64) []float64 {
	lo, hi = min(lo, 0), max(hi, 0)
	if !finite(lo) || !finite(hi) || !finite(hi-lo) || hi-lo > 1e300 {
		// Beyond float64's comfort the steps overflow; an axis with just
		// its ends still draws.
		return []float64{max(lo, -math.MaxFloat64/4), min(hi, math.MaxFloat64/4)}
	}
	if hi-lo < 1e-300 { // all zeros: draw 0–1 rather than divide by nothing
		hi = 1
	}
	var best step
	e0 := int(math.Floor(math.Log10((hi - lo) / targetIntervals)))
	for e := e0 - 1; e <= e0+1; e++ {
		for _, m := range []int64{1, 2, 5} {
			if s := (step{m: m, e: e}); best.m == 0 || s.better(best, lo, hi) {
				best = s
			}
		}
	}
	first, last := best.cover(lo, hi)
	ticks := make([]float64, 0, last-first+1)
	for k := first; k <= last; k++ {
		ticks = append(ticks, best.at(k))
	}
	return ticks
}

// better reports whether s draws a better axis for [lo, hi] than other:
// nearer targetIntervals, then tighter around the data.
func (s step) better(other step, lo, hi float64) bool {
	first, last := s.cover(lo, hi)
	oFirst, oLast := other.cover(lo, hi)
	d, od := abs(int(last-first)-targetIntervals), abs(int(oLast-oFirst)-targetIntervals)
	if d != od {
		return d < od
	}
	return s.at(last)-s.at(first) < other.at(oLast)-other.at(oFirst)
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// step is m × 10^e.
type step struct {
	m int64
	e int
}

func (s step) size() float64 { return s.at(1) }

// at returns k steps from zero, dividing by a power of ten for small steps
// because 10^-1 has no exact float64 and the error would show in labels.
func (s step) at(k int64) float64 {
	if s.e >= 0 {
		return float64(k*s.m) * math.Pow10(s.e)
	}
	return float64(k*s.m) / math.Pow10(-s.e)
}

// cover returns the first and last multiples of the step around [lo, hi];
// the tolerance stops 0.3 / 0.1 = 2.9999999999999996 from adding a tick.
func (s step) cover(lo, hi float64) (first, last int64) {
	const tolerance = 1e-9
	size := s.size()
	return int64(math.Floor(lo/size + tolerance)), int64(math.Ceil(hi/size - tolerance))
}

// timeSteps are the spacings time labels may use, smallest first.
var timeSteps = []time.Duration{
	time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour,
	30 * 24 * time.Hour, 90 * 24 * time.Hour, 180 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// maxTimeLabels keeps the labels of a 640-unit-wide chart from touching.
const maxTimeLabels = 6

// timeTicks returns a handful of round times (whole hours, UTC midnights…)
// within [t0, t1]. When none falls inside, as for a single sample, it
// returns t0 so the axis still says when the data is from.
func timeTicks(t0, t1 time.Time) []time.Time {
	span := t1.Sub(t0)
	every := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if span/s < maxTimeLabels {
			every = s
			break
		}
	}
	var ticks []time.Time
	// Truncate counts from the zero time, a UTC midnight, so days and
	// hours land on UTC boundaries.
	t := t0.Truncate(every)
	if t.Before(t0) {
		t = t.Add(every)
	}
	for ; !t.After(t1) && len(ticks) < maxTimeLabels; t = t.Add(every) {
		ticks = append(ticks, t)
	}
	if len(ticks) == 0 {
		ticks = append(ticks, t0)
	}
	return ticks
}

// timeLayout picks the label format from the span shown: the time of day
// within a day, the date beyond, and month and year past a year.
func timeLayout(span time.Duration) string {
	switch {
	case span <= 24*time.Hour:
		return "15:04"
	case span <= 365*24*time.Hour:
		return "Jan 2"
	}
	return "Jan 2006"
}
