package store

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// ScoreConfig is how a project defines one score name: its type, and the
// range of a numeric one or the labels of a categorical one. A score sent
// under a configured name must fit it (Check); a name nobody configured
// takes any value.
type ScoreConfig struct {
	ProjectID int64     `json:"-"`
	Name      string    `json:"name"`
	Type      ScoreType `json:"type"`
	// Min and Max bound a numeric score, both ends included; nil is
	// unbounded.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Labels are a categorical score's choices; empty takes any label.
	Labels      []string  `json:"labels,omitempty"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Validate reports the first reason c cannot be stored, as an ErrInvalid.
func (c *ScoreConfig) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func (c *ScoreConfig) validate() error {
	if err := CheckScoreName(c.Name); err != nil {
		return err
	}
	if !c.Type.Valid() {
		return fmt.Errorf("type %q is not numeric, boolean or categorical", c.Type)
	}
	if c.Type != ScoreNumeric && (c.Min != nil || c.Max != nil) {
		return errors.New("only a numeric score has a range")
	}
	for _, b := range []*float64{c.Min, c.Max} {
		if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
			return errors.New("a range's ends are finite numbers")
		}
	}
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
		return errors.New("the range's minimum is above its maximum")
	}
	if c.Type != ScoreCategorical && len(c.Labels) > 0 {
		return errors.New("only a categorical score has labels")
	}
	if len(c.Labels) > MaxScoreLabels {
		return fmt.Errorf("at most %d labels", MaxScoreLabels)
	}
	for i, l := range c.Labels {
		if err := LabelValue(l).check(); err != nil {
			return err
		}
		if slices.Contains(c.Labels[:i], l) {
			return fmt.Errorf("label %q is listed twice", l)
		}
	}
	if len(c.Description) > MaxScoreDescriptionLen || !cleanText(c.Description) {
		return fmt.Errorf("description must have at most %d bytes of UTF-8 and no NUL character", MaxScoreDescriptionLen)
	}
	return nil
}

// Check reports why v does not fit c, or nil.
func (c *ScoreConfig) Check(v ScoreValue) error {
	if v.Type != c.Type {
		return fmt.Errorf("score %q is configured as %s: %s", c.Name, c.Type, c.expects())
	}
	switch c.Type {
	case ScoreNumeric:
		if c.Min != nil && v.Number < *c.Min || c.Max != nil && v.Number > *c.Max {
			return fmt.Errorf("value %s of score %q is outside its range %s", v, c.Name, c.Range())
		}
	case ScoreCategorical:
		if len(c.Labels) > 0 && !slices.Contains(c.Labels, v.Label) {
			return fmt.Errorf("label %q is not one of score %q's labels: %s", v.Label, c.Name, strings.Join(c.Labels, ", "))
		}
	}
	return nil
}

// expects says what a value of c looks like.
func (c *ScoreConfig) expects() string {
	switch c.Type {
	case ScoreBoolean:
		return "send true or false"
	case ScoreCategorical:
		if len(c.Labels) > 0 {
			return "send one of its labels: " + strings.Join(c.Labels, ", ")
		}
		return "send a label"
	}
	if c.Min != nil || c.Max != nil {
		return "send a number in " + c.Range()
	}
	return "send a number"
}

// Range prints a numeric configuration's range for people: "0 to 1",
// "at least 0", "any number".
func (c *ScoreConfig) Range() string {
	switch {
	case c.Min != nil && c.Max != nil:
		return NumberValue(*c.Min).String() + " to " + NumberValue(*c.Max).String()
	case c.Min != nil:
		return "at least " + NumberValue(*c.Min).String()
	case c.Max != nil:
		return "at most " + NumberValue(*c.Max).String()
	}
	return "any number"
}

// FindScoreConfig returns the configuration of name among configs, or nil.
func FindScoreConfig(configs []ScoreConfig, name string) *ScoreConfig {
	for i := range configs {
		if configs[i].Name == name {
			return &configs[i]
		}
	}
	return nil
}
