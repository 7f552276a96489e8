package writer

import (
	"slices"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// sized is a queued message of n bytes; bySize reads nothing else.
type sized struct {
	jetstream.Msg
	n int
}

func (m sized) Data() []byte { return make([]byte, m.n) }

func TestBySize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sizes []int
		limit int
		want  [][]int
	}{
		{[]int{10}, 100, [][]int{{10}}},
		{[]int{40, 40, 40}, 100, [][]int{{40, 40}, {40}}},
		{[]int{50, 50, 50, 50}, 100, [][]int{{50, 50}, {50, 50}}},
		{[]int{200, 10, 10}, 100, [][]int{{200}, {10, 10}}},
		{[]int{10, 200, 10}, 100, [][]int{{10}, {200}, {10}}},
	} {
		items := make([]item, len(tc.sizes))
		for i, n := range tc.sizes {
			items[i] = item{msg: sized{n: n}}
		}
		var got [][]int
		for _, run := range bySize(items, tc.limit) {
			var sizes []int
			for _, it := range run {
				sizes = append(sizes, len(it.msg.Data()))
			}
			got = append(got, sizes)
		}
		if !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("bySize(%v, %d) = %v, want %v", tc.sizes, tc.limit, got, tc.want)
		}
	}
}
