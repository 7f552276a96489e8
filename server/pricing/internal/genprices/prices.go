package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tracium/tracium/server/pricing"
)

// The dataset's price keys that Tracium's usage counts can bill. Every
// other key (audio, image and video tokens, 1-hour cache writes, web
// searches, pages, audio hours) needs a count Tracium does not record.
const (
	keyInput      = "input_mtok"
	keyOutput     = "output_mtok"
	keyCacheRead  = "cache_read_mtok"
	keyCacheWrite = "cache_write_mtok"
)

var tokenKeys = []string{keyInput, keyOutput, keyCacheRead, keyCacheWrite}

// priceSet is one of a model's price sets: a price per key, each with its
// own input-size tiers.
type priceSet map[string]tiered

// tiered is a price that may change with the request's input size: Tier
// applies when the input count is above Start (genai-prices' rule).
type tiered struct {
	Base  float64
	Tiers []tier
}

type tier struct {
	Start int64   `json:"start"`
	Price float64 `json:"price"`
}

func (t *tiered) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '{' {
		return json.Unmarshal(b, &t.Base)
	}
	var v struct {
		Base  *float64 `json:"base"`
		Tiers []tier   `json:"tiers"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if v.Base == nil {
		return errors.New("tiered price without base")
	}
	t.Base, t.Tiers = *v.Base, v.Tiers
	slices.SortStableFunc(t.Tiers, func(a, b tier) int { return cmp.Compare(a.Start, b.Start) })
	return nil
}

// at returns the price for a request whose input is above start tokens,
// start being one of the model's tier starts (or 0 for the base).
func (t tiered) at(start int64) float64 {
	p := t.Base
	for _, tr := range t.Tiers {
		if tr.Start <= start && start > 0 {
			p = tr.Price
		}
	}
	return p
}

// constrained is one entry of a model's dated or timed price list.
type constrained struct {
	Constraint *struct {
		Type      string `json:"type"`
		StartDate string `json:"start_date"`
		StartTime string `json:"start_time"`
		EndTime   string `json:"end_time"`
	} `json:"constraint"`
	Prices priceSet `json:"prices"`
}

// resolved is a model's prices as Tracium bills them.
type resolved struct {
	// billable is false when the model has prices but none per token.
	billable bool
	rates    pricing.Rates
	tiers    []pricing.Tier
	// later says the price changes after asOf, which the table cannot say.
	later string
}

// resolve picks the model's price set in force on asOf (see choose) and
// turns it into Rates and Tiers.
func resolve(raw json.RawMessage, asOf time.Time) (resolved, error) {
	var list []constrained
	if len(raw) > 0 && raw[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&list); err != nil {
			return resolved{}, err
		}
	} else {
		var one priceSet
		if err := json.Unmarshal(raw, &one); err != nil {
			return resolved{}, err
		}
		list = []constrained{{Prices: one}}
	}
	if len(list) == 0 {
		return resolved{}, errors.New("empty price list")
	}
	set, later, err := choose(list, asOf)
	if err != nil {
		return resolved{}, err
	}
	return convert(set, later)
}

// convert turns a price set into Rates and one Tier per distinct tier
// start of any key. An empty set is a free model.
func convert(set priceSet, later string) (resolved, error) {
	out := resolved{later: later, billable: len(set) == 0}
	var starts []int64
	for _, k := range tokenKeys {
		if p, ok := set[k]; ok {
			out.billable = true
			for _, tr := range p.Tiers {
				if tr.Start <= 0 {
					return resolved{}, fmt.Errorf("%s: tier start %d is not positive", k, tr.Start)
				}
				starts = append(starts, tr.Start)
			}
		}
	}
	slices.Sort(starts)
	starts = slices.Compact(starts)
	rates := func(start int64) pricing.Rates {
		return pricing.Rates{Input: set[keyInput].at(start), Output: set[keyOutput].at(start),
			CachedInput: set[keyCacheRead].at(start), CacheWrite: set[keyCacheWrite].at(start)}
	}
	out.rates = rates(0)
	for _, s := range starts {
		out.tiers = append(out.tiers, pricing.Tier{AbovePromptTokens: s, Rates: rates(s)})
	}
	// Tracium reads a zero cache price as "the input price"; a dataset
	// that says cache reads are free must not be read that way.
	for _, k := range []string{keyCacheRead, keyCacheWrite} {
		if p, ok := set[k]; ok {
			for _, s := range append([]int64{0}, starts...) {
				if p.at(s) == 0 && set[keyInput].at(s) > 0 {
					return resolved{}, fmt.Errorf("%s of zero cannot be expressed in Tracium's table", k)
				}
			}
		}
	}
	return out, nil
}

// choose returns the price set in force on asOf, by genai-prices' own rule
// (the last entry whose constraint holds wins). A price that depends on
// the time of day is the one in force for the largest part of asOf, since
// Tracium's table has one price per model: DeepSeek's off-peak discount,
// for one, is not applied. later names the next dated change after asOf.
func choose(list []constrained, asOf time.Time) (priceSet, string, error) {
	minutes := make([]int, len(list))
	for m := range 24 * 60 {
		i, err := pick(list, asOf.Add(time.Duration(m)*time.Minute))
		if err != nil {
			return nil, "", err
		}
		minutes[i]++
	}
	best := 0
	for i, n := range minutes {
		if n > minutes[best] {
			best = i
		}
	}
	var later string
	for _, c := range list {
		if c.Constraint != nil && c.Constraint.Type == "start_date" && c.Constraint.StartDate > asOf.Format(time.DateOnly) {
			if later == "" || c.Constraint.StartDate < later {
				later = c.Constraint.StartDate
			}
		}
	}
	return list[best].Prices, later, nil
}

// pick is genai-prices' price selection for a call at t.
func pick(list []constrained, t time.Time) (int, error) {
	for i := len(list) - 1; i >= 0; i-- {
		c := list[i].Constraint
		if c == nil {
			return i, nil
		}
		switch c.Type {
		case "start_date":
			start, err := time.Parse(time.DateOnly, c.StartDate)
			if err != nil {
				return 0, fmt.Errorf("start_date %q: %w", c.StartDate, err)
			}
			if !t.Before(start) {
				return i, nil
			}
		case "time_of_date":
			from, err1 := secondOfDay(c.StartTime)
			to, err2 := secondOfDay(c.EndTime)
			if err := errors.Join(err1, err2); err != nil {
				return 0, err
			}
			now := t.Hour()*3600 + t.Minute()*60 + t.Second()
			if to < from && (now >= from || now < to) || to >= from && now >= from && now < to {
				return i, nil
			}
		default:
			return 0, fmt.Errorf("unknown price constraint %q", c.Type)
		}
	}
	return 0, nil
}

// secondOfDay reads a time of day such as "00:30:00Z" as seconds after
// midnight UTC.
func secondOfDay(s string) (int, error) {
	t, err := time.Parse("15:04:05Z07:00", s)
	if err != nil {
		return 0, fmt.Errorf("time of day %q: %w", s, err)
	}
	t = t.UTC()
	return t.Hour()*3600 + t.Minute()*60 + t.Second(), nil
}
