package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tracium/tracium/server/queue/batch"
)

// DeadLetter is one batch kept on the dead-letter stream.
type DeadLetter struct {
	// ID is the batch's sequence number in the dead-letter stream.
	ID         uint64    `json:"id"`
	Project    string    `json:"project"`
	Time       time.Time `json:"time"`
	Reason     string    `json:"reason"`
	Deliveries uint64    `json:"deliveries,omitempty"`
	// Spans is how many spans the batch holds, -1 when it is not a batch.
	Spans int `json:"spans"`
	// Scores is how many scores it holds.
	Scores int `json:"scores"`
}

func (q *Queue) deadStream(ctx context.Context) (jetstream.Stream, error) {
	s, err := q.js.Stream(ctx, DeadStream)
	if err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", DeadStream, err)
	}
	return s, nil
}

// DeadLetters returns every batch on the dead-letter stream, oldest first.
func (q *Queue) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	s, err := q.deadStream(ctx)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue: stream info: %w", err)
	}
	var out []DeadLetter
	if info.State.Msgs == 0 {
		return out, nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // replayed or removed
		}
		if err != nil {
			return out, fmt.Errorf("queue: dead letter %d: %w", seq, err)
		}
		out = append(out, describeDead(m))
	}
	return out, nil
}

func describeDead(m *jetstream.RawStreamMsg) DeadLetter {
	d := DeadLetter{ID: m.Sequence, Time: m.Time.UTC(), Project: m.Header.Get(HeaderProject), Reason: m.Header.Get(HeaderReason), Spans: -1}
	d.Deliveries, _ = strconv.ParseUint(m.Header.Get(HeaderDeliveries), 10, 64)
	if spans, scores, ok := batch.Count(m.Data); ok {
		d.Spans, d.Scores = spans, scores
	}
	return d
}

// ErrNoDeadLetter is a replay of an id the dead-letter stream does not
// hold.
var ErrNoDeadLetter = errors.New("no such dead letter")

// Replay puts the dead letter id back on the span stream, as the
// dead-letter stream keeps it (a batch as JSON, see writer), and then
// removes it from the dead-letter stream. A replay cut short between the
// two leaves the batch on both; replaying it again is harmless, as the
// store ignores spans it already holds.
func (q *Queue) Replay(ctx context.Context, id uint64) (DeadLetter, error) {
	s, err := q.deadStream(ctx)
	if err != nil {
		return DeadLetter{}, err
	}
	m, err := s.GetMsg(ctx, id)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return DeadLetter{}, fmt.Errorf("%w: %d", ErrNoDeadLetter, id)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("queue: dead letter %d: %w", id, err)
	}
	d := describeDead(m)
	pid, err := strconv.ParseInt(d.Project, 10, 64)
	if err != nil {
		return d, fmt.Errorf("queue: dead letter %d has no project; it cannot be replayed", id)
	}
	msg := nats.NewMsg(SubjectPrefix + strconv.FormatInt(pid, 10))
	msg.Header.Set(HeaderProject, d.Project)
	msg.Data = m.Data
	if _, err := q.js.PublishMsg(ctx, msg); err != nil {
		return d, fmt.Errorf("queue: replay %d: %w", id, err)
	}
	if err := s.DeleteMsg(ctx, id); err != nil {
		return d, fmt.Errorf("queue: remove replayed dead letter %d: %w", id, err)
	}
	return d, nil
}
